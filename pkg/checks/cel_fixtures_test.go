package checks

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// celFixture is one fixture file of a CEL rule, loaded without the full
// loader so that the engine can be tested on its own.
type celFixture struct {
	check *Check
	file  string
	fail  bool
	objs  []*inventory.Object
	cfg   *config.Config
}

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// loadCELFixtures reads every pass/fail fixture of the CEL rules.
func loadCELFixtures(t testing.TB) []celFixture {
	t.Helper()
	var out []celFixture
	for _, c := range celChecks {
		cfg := config.Default()
		if p := filepath.Join("testdata", string(c.ID), "kharden.yaml"); fileExistsCEL(p) {
			var err error
			if cfg, err = config.Load(p); err != nil {
				t.Fatal(err)
			}
		}
		for _, kind := range []string{"pass", "fail"} {
			files, _ := filepath.Glob(filepath.Join("testdata", string(c.ID), kind, "*.yaml"))
			if len(files) < 2 {
				t.Errorf("rule %s: want several %s fixtures, have %d", c.ID, kind, len(files))
			}
			for _, f := range files {
				out = append(out, celFixture{check: c, file: f, fail: kind == "fail", objs: readObjects(t, f), cfg: cfg})
			}
		}
	}
	return out
}

func readObjects(t testing.TB, file string) []*inventory.Object {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var objs []*inventory.Object
	for _, doc := range docSeparator.Split(string(data), -1) {
		if len(bytes.TrimSpace([]byte(doc))) == 0 {
			continue
		}
		var content map[string]any
		if err := yaml.Unmarshal([]byte(doc), &content); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if content == nil {
			continue
		}
		o, err := inventory.NewObject(content, inventory.OriginFile, finding.Source{File: file, Line: 1})
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		objs = append(objs, o)
	}
	if len(objs) == 0 {
		t.Fatalf("%s: no objects", file)
	}
	return objs
}

func fileExistsCEL(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// evalFixture runs the fixture's rule on its objects, per object.
func evalFixture(t testing.TB, prg *cel.Program, fx celFixture) map[*inventory.Object][]cel.Violation {
	t.Helper()
	params := Params(fx.cfg)
	out := map[*inventory.Object][]cel.Violation{}
	for _, o := range fx.objs {
		if !fx.check.AppliesTo(o.GK) {
			continue
		}
		vs, err := prg.Evaluate(cel.NewInput(o, params))
		if err != nil {
			t.Fatalf("%s: %s: %v", fx.file, o.Ref, err)
		}
		out[o] = vs
	}
	return out
}

// TestCELFixtures checks each CEL rule on its own fixtures: a fail fixture
// yields at least one violation, a pass fixture none, and every violation
// has a message and a parsable field path inside the object.
func TestCELFixtures(t *testing.T) {
	fixtures := loadCELFixtures(t)
	progs := map[*Check]*cel.Program{}
	for _, c := range celChecks {
		p, err := cel.Compile(c.Guardrail)
		if err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		progs[c] = p
	}
	for _, fx := range fixtures {
		t.Run(string(fx.check.ID)+"/"+filepath.Base(filepath.Dir(fx.file))+"/"+filepath.Base(fx.file), func(t *testing.T) {
			n := 0
			for o, vs := range evalFixture(t, progs[fx.check], fx) {
				for _, v := range vs {
					n++
					t.Logf("%s %s [%s]: %s", o.Ref, v.Path, v.Container, v.Message)
					if v.Message == "" {
						t.Errorf("empty message")
					}
					if _, err := inventory.ParsePath(v.Path); err != nil || v.Path == "" {
						t.Errorf("bad path %q: %v", v.Path, err)
					}
					if fx.check.Guardrail.Scope == cel.ScopeContainer && v.Container == "" {
						t.Errorf("container-scope violation without container name")
					}
				}
			}
			if fx.fail && n == 0 {
				t.Errorf("want a %s violation, got none", fx.check.ID)
			}
			if !fx.fail && n > 0 {
				t.Errorf("want no %s violation, got %d", fx.check.ID, n)
			}
		})
	}
}
