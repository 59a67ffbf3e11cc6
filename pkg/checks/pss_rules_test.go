package checks

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/pss"
	"github.com/kharden/kharden/pkg/pss/psstest"
)

func TestPSSCataloguePart(t *testing.T) {
	if err := Validate(pssChecks); err != nil {
		t.Fatal(err)
	}
	for _, c := range pssChecks {
		if _, ok := psaBindings[c.PSS]; !ok {
			t.Errorf("%s: PSS binding not built with bindPSA", c.ID)
		}
	}
}

// TestEveryPSACheckIsBound fails when the library has a check no rule
// reports (a new check in a library upgrade), or a rule names a check the
// library does not have.
func TestEveryPSACheckIsBound(t *testing.T) {
	lib := pss.CheckIDs()
	bound := map[policy.CheckID]bool{}
	for _, c := range pssChecks {
		for _, id := range c.PSS.Checks {
			bound[id] = true
			if !slices.Contains(lib, id) {
				t.Errorf("%s binds unknown PSA check %q", c.ID, id)
			}
		}
	}
	for _, id := range lib {
		if !bound[id] {
			t.Errorf("PSA check %q is bound to no rule", id)
		}
	}
}

// locatorsFor returns every rule's locator for one PSA check.
func locatorsFor(id policy.CheckID) []psaLocator {
	var out []psaLocator
	for _, c := range pssChecks {
		for _, b := range psaBindings[c.PSS] {
			if b.check == id {
				out = append(out, b.locate)
			}
		}
	}
	return out
}

type psaCase struct {
	name  string
	tmpl  inventory.PodTemplate
	level finding.Level
	v     api.Version
}

func psaCases(t *testing.T) []psaCase {
	fixtures := psstest.Fixtures(t)
	newest := psstest.NewestVersion(fixtures)
	var cases []psaCase
	for _, f := range fixtures {
		tmpl, ok := f.Object.PodTemplateOf()
		if !ok {
			t.Fatalf("%s: no pod template", f.Path)
		}
		cases = append(cases, psaCase{f.Path, tmpl, f.Level, f.Version})
		if f.Version == newest {
			cases = append(cases, psaCase{f.Path + "@latest", tmpl, f.Level, api.LatestVersion()})
		}
	}
	if !testing.Short() {
		for i, tmpl := range psstest.CorpusPods(t) {
			for _, l := range []finding.Level{finding.LevelBaseline, finding.LevelRestricted} {
				cases = append(cases, psaCase{"corpus pod " + tmpl.SpecPath + " #" + itoa(int64(i)), tmpl, l, api.LatestVersion()})
			}
		}
	}
	return cases
}

// TestPSALocatorsMirrorChecks holds every locator to its PSA check: on every
// conformance fixture (at its level and version) and every corpus pod, a
// check fails exactly when the locators bound to it find a field.
func TestPSALocatorsMirrorChecks(t *testing.T) {
	evals := map[api.Version]*pss.Evaluator{}
	n := 0
	for _, c := range psaCases(t) {
		e := evals[c.v]
		if e == nil {
			var err error
			if e, err = pss.NewEvaluator(c.v.String()); err != nil {
				t.Fatal(err)
			}
			evals[c.v] = e
		}
		vs, _ := e.Evaluate(c.tmpl, c.level)
		failed := map[policy.CheckID]bool{}
		for _, v := range vs {
			failed[v.Check] = true
		}
		for _, id := range e.Checks(c.level) {
			var locs []Location
			for _, l := range locatorsFor(id) {
				locs = append(locs, l(c.tmpl, e.EffectiveVersion())...)
			}
			n++
			if failed[id] != (len(locs) > 0) {
				t.Errorf("%s (%s %s): check %s failed=%v but locators found %v", c.name, c.level, c.v, id, failed[id], locs)
			}
			for _, l := range locs {
				if l.Path == "" || l.Message == "" {
					t.Errorf("%s: check %s: location without path or message: %+v", c.name, id, l)
				}
			}
		}
	}
	t.Logf("%d check verdicts compared with their locators", n)
}

// TestLocateFindsEveryFailure: the locators of the check that failed, at the
// version evaluated, find at least one field for every failed check of every
// fixture, so neither Locate's walk back through versions nor the runner's
// fallback to the bare spec path is ever needed.
func TestLocateFindsEveryFailure(t *testing.T) {
	for _, c := range psaCases(t) {
		e, err := pss.NewEvaluator(c.v.String())
		if err != nil {
			t.Fatal(err)
		}
		// The runner evaluates at the restricted level.
		vs, _ := e.Evaluate(c.tmpl, finding.LevelRestricted)
		for _, v := range vs {
			found := false
			// Exact locating: the failed check's own locators at the
			// evaluated version, without Locate's walk back through versions.
			for _, r := range pssChecks {
				for _, x := range psaBindings[r.PSS] {
					if x.check == v.Check && len(x.locate(c.tmpl, e.EffectiveVersion())) > 0 {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("%s at %s: no rule locates failed check %s (%s)", c.name, c.v, v.Check, v.Detail)
			}
		}
	}
}

// TestPSSRuleFixtures runs the PSS rules on their fixtures:
// testdata/<rule>/fail/*.yaml must give the rule a finding, pass/*.yaml none.
func TestPSSRuleFixtures(t *testing.T) {
	r, err := NewRunner(pssChecks, config.Default())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range pssChecks {
		for _, want := range []string{"pass", "fail"} {
			files, _ := filepath.Glob(filepath.Join("testdata", string(c.ID), want, "*.yaml"))
			if len(files) < 2 {
				t.Errorf("%s: %d %s fixtures, want several", c.ID, len(files), want)
			}
			for _, file := range files {
				data, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				var b inventory.Builder
				for _, o := range psstest.Parse(t, file, data) {
					b.Add(o)
				}
				hits, _ := r.Run(b.Build())
				var mine []finding.Finding
				for _, h := range hits {
					if h.Finding.Rule == c.ID {
						mine = append(mine, h.Finding)
					}
				}
				switch {
				case want == "fail" && len(mine) == 0:
					t.Errorf("%s: no %s finding", file, c.ID)
				case want == "pass" && len(mine) > 0:
					t.Errorf("%s: unexpected %s findings %+v", file, c.ID, mine)
				}
				for _, f := range mine {
					if f.Path == "" || f.Message == "" {
						t.Errorf("%s: finding without path or message: %+v", file, f)
					}
				}
			}
		}
	}
}
