package inventory

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// corpusDir finds the shared manifest corpus: $KHARDEN_CORPUS, else
// <repo root>/../shared/corpus. Missing: a failure in CI, a skip elsewhere.
func corpusDir(tb testing.TB) string {
	tb.Helper()
	dir, err := findCorpus()
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatal(err)
		}
		tb.Skip(err)
	}
	return dir
}

// findCorpus locates the corpus as corpusDir does, without a testing.TB.
func findCorpus() (string, error) {
	dir := os.Getenv("KHARDEN_CORPUS")
	if dir == "" {
		root, err := filepath.Abs(".")
		if err != nil {
			return "", err
		}
		for {
			if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(root)
			if parent == root {
				return "", errors.New("go.mod not found")
			}
			root = parent
		}
		dir = filepath.Join(root, "..", "shared", "corpus")
	}
	if _, err := os.Stat(filepath.Join(dir, "real")); err != nil {
		return "", fmt.Errorf("corpus not found at %s (set KHARDEN_CORPUS)", dir)
	}
	return dir, nil
}

// corpusObjects is the count of SOURCES.md: every non-empty document, List
// items one by one.
const corpusObjects = 2589

// allowedCorpusErrors lists error diagnostics accepted on the corpus after
// review. It is empty: kharden reads every document of the corpus.
var allowedCorpusErrors = map[string]bool{}

func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	inv, err := Load(context.Background(), LoadOptions{Paths: []string{filepath.Join(dir, "real")}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range inv.Diagnostics {
		if d.Warning {
			t.Logf("warning: %s", d)
			continue
		}
		if !allowedCorpusErrors[d.String()] {
			t.Errorf("unexpected error diagnostic: %s", d)
		}
	}
	if len(inv.Objects) != corpusObjects {
		t.Errorf("objects = %d, want %d", len(inv.Objects), corpusObjects)
	}
	for _, o := range inv.Objects {
		if o.Source.File == "" || o.Source.Line < 1 {
			t.Errorf("%s/%s: no source line", o.Ref.Kind, o.Ref.Name)
		}
	}
}

func BenchmarkLoadCorpus(b *testing.B) {
	dir := filepath.Join(corpusDir(b), "real")
	b.ReportAllocs()
	var n int
	for b.Loop() {
		inv, err := Load(context.Background(), LoadOptions{Paths: []string{dir}})
		if err != nil {
			b.Fatal(err)
		}
		n = len(inv.Objects)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
}
