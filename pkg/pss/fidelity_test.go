package pss

import (
	"testing"

	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/pkg/pss/psstest"
)

// TestConformanceFixtures is the fidelity acceptance of issue 2: every
// conformance fixture of k8s.io/pod-security-admission, read through
// kharden's loader and evaluated at its own level and version, gets the
// verdict the fixture expects. Fixtures of the newest version are also
// evaluated at "latest".
func TestConformanceFixtures(t *testing.T) {
	fixtures := psstest.Fixtures(t)
	newest := psstest.NewestVersion(fixtures)
	evals := map[string]*Evaluator{}
	eval := func(v api.Version) *Evaluator {
		if e, ok := evals[v.String()]; ok {
			return e
		}
		e, err := NewEvaluator(v.String())
		if err != nil {
			t.Fatal(err)
		}
		evals[v.String()] = e
		return e
	}
	runs, ok := 0, 0
	for _, f := range fixtures {
		tmpl, isPod := f.Object.PodTemplateOf()
		if !isPod {
			t.Errorf("%s: no pod template", f.Path)
			continue
		}
		versions := []api.Version{f.Version}
		if f.Version == newest {
			versions = append(versions, api.LatestVersion())
		}
		for _, v := range versions {
			runs++
			vs, err := eval(v).Evaluate(tmpl, f.Level)
			if err != nil {
				t.Errorf("%s at %s: %v", f.Path, v, err)
				continue
			}
			switch {
			case f.Pass && len(vs) > 0:
				t.Errorf("%s at %s: want no violation, got %v", f.Path, v, vs)
			case !f.Pass && len(vs) == 0:
				t.Errorf("%s at %s: want a violation, got none", f.Path, v)
			default:
				ok++
			}
		}
	}
	t.Logf("%d fixtures, %d evaluations, %d as expected (%.1f%%)", len(fixtures), runs, ok, 100*float64(ok)/float64(runs))
}
