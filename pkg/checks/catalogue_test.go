package checks_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// fixtureNow is the clock of every fixture: exceptions dated before it have
// expired, those after it apply.
var fixtureNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func TestCatalogueValidates(t *testing.T) {
	cat := checks.Catalogue()
	if len(cat) == 0 {
		t.Fatal("empty catalogue")
	}
	if err := checks.Validate(cat); err != nil {
		t.Fatal(err)
	}
	// The validator must catch what it claims to: a duplicate, a bad id,
	// missing metadata.
	broken := []*checks.Check{cat[0], cat[0], {ID: "Not_Kebab", Engine: checks.EngineGo}}
	err := checks.Validate(broken)
	if err == nil {
		t.Fatal("Validate accepted a broken catalogue")
	}
	for _, want := range []string{"duplicate id", "not kebab-case", "required"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error lacks %q: %v", want, err)
		}
	}
}

// TestCatalogueFixtures runs every rule on its pass and fail fixtures
// (testdata/<rule>/{pass,fail}/*.yaml). It fails on a rule without
// fixtures, on a fixture directory without a rule, and when it runs no case.
func TestCatalogueFixtures(t *testing.T) {
	cat := checks.Catalogue()
	rules := map[finding.RuleID]*checks.Check{}
	for _, c := range cat {
		rules[c.ID] = c
	}
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	dirs := map[finding.RuleID]bool{}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "fuzz" {
			continue
		}
		id := finding.RuleID(e.Name())
		dirs[id] = true
		if rules[id] == nil {
			t.Errorf("testdata/%s: fixtures for a rule that is not in the catalogue", id)
		}
	}
	cases := 0
	for _, c := range cat {
		if c.Engine == checks.EngineAnalysis {
			// Reported by a command, not the runner: each analysis package
			// has its own meta-test that every one of its rules fires.
			continue
		}
		if !dirs[c.ID] {
			t.Errorf("rule %s has no fixtures under testdata/%s", c.ID, c.ID)
			continue
		}
		for _, kind := range []string{"pass", "fail"} {
			files, _ := filepath.Glob(filepath.Join("testdata", string(c.ID), kind, "*.yaml"))
			if len(files) == 0 {
				t.Errorf("rule %s has no %s fixtures", c.ID, kind)
			}
			for _, file := range files {
				cases++
				file, kind, c := file, kind, c
				t.Run(string(c.ID)+"/"+kind+"/"+filepath.Base(file), func(t *testing.T) {
					got := findingsOf(t, c, file)
					switch {
					case kind == "fail" && len(got) == 0:
						t.Errorf("%s: want at least one %s finding, got none", file, c.ID)
					case kind == "pass" && len(got) > 0:
						t.Errorf("%s: want no %s finding, got %d: %s", file, c.ID, len(got), got[0].Message)
					}
					for _, f := range got {
						if f.Message == "" || f.Object.Kind == "" {
							t.Errorf("%s: incomplete finding %+v", file, f)
						}
					}
				})
			}
		}
	}
	if cases == 0 {
		t.Fatal("no fixture ran")
	}
	t.Logf("%d fixtures for %d rules", cases, len(cat))
}

func findingsOf(t *testing.T, c *checks.Check, file string) []finding.Finding {
	t.Helper()
	cfg := config.Default()
	if p := filepath.Join("testdata", string(c.ID), "kharden.yaml"); fileExists(p) {
		var err error
		if cfg, err = config.Load(p); err != nil {
			t.Fatal(err)
		}
	}
	// Only the rule under test runs (disabled-by-default rules included), in
	// the whole catalogue, as a user turning rules off would have it.
	on, off := true, false
	if cfg.Rules == nil {
		cfg.Rules = map[finding.RuleID]config.RuleConfig{}
	}
	for _, other := range checks.Catalogue() {
		cfg.Rules[other.ID] = config.RuleConfig{Enabled: &off}
	}
	cfg.Rules[c.ID] = config.RuleConfig{Enabled: &on}
	inv, err := inventory.Load(context.Background(), inventory.LoadOptions{Paths: []string{file}})
	if err != nil {
		t.Fatal(err)
	}
	if errs := inv.Errors(); len(errs) > 0 {
		t.Fatalf("fixture does not load: %v", errs)
	}
	if len(inv.Objects) == 0 {
		t.Fatal("fixture has no objects")
	}
	r, err := checks.NewRunner(checks.Catalogue(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.Now = func() time.Time { return fixtureNow }
	hits, _ := r.Run(inv)
	var out []finding.Finding
	for _, h := range hits {
		if h.Finding.Rule == c.ID {
			out = append(out, h.Finding)
		}
	}
	return out
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// TestRulesDocIsCurrent fails when docs/rules.md was not regenerated after
// a catalogue change (`make docs`).
func TestRulesDocIsCurrent(t *testing.T) {
	want := checks.MarkdownDoc(checks.Catalogue())
	got, err := os.ReadFile(filepath.Join("..", "..", "docs", "rules.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("docs/rules.md is stale: run `make docs`")
	}
}

// TestEveryRuleExplains checks the generated help mentions every rule.
func TestEveryRuleExplains(t *testing.T) {
	cat := checks.Catalogue()
	doc := string(checks.MarkdownDoc(cat))
	var missing []string
	for _, c := range cat {
		if !strings.Contains(doc, "## "+string(c.ID)+"\n") || !strings.Contains(checks.Explain(c), c.Remediation) {
			missing = append(missing, string(c.ID))
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("rules missing from docs: %v", missing)
	}
}
