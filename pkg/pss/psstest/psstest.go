// Package psstest gives tests the pod-security-admission conformance
// fixtures and the shared manifest corpus, read through kharden's loader.
package psstest

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// Fixture is one conformance fixture of k8s.io/pod-security-admission:
// test/testdata/<level>/v1.<N>/<pass|fail>/<name>.yaml.
type Fixture struct {
	Path    string // relative to the testdata directory
	Level   finding.Level
	Version api.Version
	Pass    bool
	Object  *inventory.Object
}

// NewestVersion is the newest policy version the fixtures cover.
func NewestVersion(fs []Fixture) api.Version {
	v := api.MajorMinorVersion(1, 0)
	for _, f := range fs {
		if v.Older(f.Version) {
			v = f.Version
		}
	}
	return v
}

// Fixtures reads every conformance fixture shipped in the module of
// k8s.io/pod-security-admission. It fails the test when none are found.
func Fixtures(tb testing.TB) []Fixture {
	tb.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "k8s.io/pod-security-admission").Output()
	if err != nil {
		tb.Fatalf("locating k8s.io/pod-security-admission: %v", err)
	}
	root := filepath.Join(strings.TrimSpace(string(out)), "test", "testdata")
	var fixtures []Fixture
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) != 4 {
			tb.Errorf("unexpected fixture path %s", rel)
			return nil
		}
		v, err := api.ParseVersion(parts[1])
		if err != nil {
			tb.Errorf("%s: %v", rel, err)
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		objs := Parse(tb, rel, data)
		if len(objs) != 1 {
			tb.Errorf("%s: %d objects, want 1", rel, len(objs))
			return nil
		}
		fixtures = append(fixtures, Fixture{
			Path: rel, Level: finding.Level(parts[0]), Version: v,
			Pass: parts[2] == "pass", Object: objs[0],
		})
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if len(fixtures) == 0 {
		tb.Fatalf("no fixtures under %s", root)
	}
	return fixtures
}

// Parse reads a file's objects with inventory.ParseDocuments. Until the
// loader is implemented (it returns nothing at all), it falls back to the
// API machinery's YAML decoder and inventory.NewObject.
func Parse(tb testing.TB, file string, data []byte) []*inventory.Object {
	tb.Helper()
	objs, diags := inventory.ParseDocuments(file, data, inventory.OriginFile)
	if len(objs) > 0 || len(diags) > 0 || len(bytes.TrimSpace(data)) == 0 {
		return objs
	}
	dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			break // bad documents are the loader's business, not ours
		}
		if m == nil {
			continue
		}
		if o, err := inventory.NewObject(m, inventory.OriginFile, finding.Source{File: file}); err == nil {
			objs = append(objs, o)
		}
	}
	return objs
}

// CorpusPods returns the pod templates of every workload of the shared
// manifest corpus (../shared/corpus/real beside the module, or
// $KHARDEN_CORPUS); none, with a log line, when the corpus is not there.
func CorpusPods(tb testing.TB) []inventory.PodTemplate {
	tb.Helper()
	dir := corpusDir()
	if dir == "" {
		tb.Log("corpus not found (../shared/corpus/real beside the module): fixtures only")
		return nil
	}
	var pods []inventory.PodTemplate
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if ext := filepath.Ext(path); ext != ".yaml" && ext != ".yml" && ext != ".json" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		for _, o := range Parse(tb, path, data) {
			if t, ok := o.PodTemplateOf(); ok {
				pods = append(pods, t)
			}
		}
		return nil
	})
	return pods
}

func corpusDir() string {
	if d := os.Getenv("KHARDEN_CORPUS"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			c := filepath.Join(filepath.Dir(d), "shared", "corpus", "real")
			if _, err := os.Stat(c); err == nil {
				return c
			}
			return ""
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}
