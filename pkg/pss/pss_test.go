package pss

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"strings"
	"testing"

	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/pss/psstest"
)

func TestNewEvaluatorVersions(t *testing.T) {
	newest := defaultRegistry().maxVersion
	tests := []struct {
		in                  string
		wantVersion, wantEf string
		wantErr             bool
	}{
		{in: "", wantVersion: "latest", wantEf: newest.String()},
		{in: "latest", wantVersion: "latest", wantEf: newest.String()},
		{in: "v1.25", wantVersion: "v1.25", wantEf: "v1.25"},
		{in: "v1.0", wantVersion: "v1.0", wantEf: "v1.0"},
		{in: "v1.99", wantVersion: "v1.99", wantEf: newest.String()},
		{in: "1.25", wantErr: true},
		{in: "v2.1", wantErr: true},
		{in: "newest", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, err := NewEvaluator(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("NewEvaluator(%q): want an error", tt.in)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := e.Version().String(); got != tt.wantVersion {
				t.Errorf("Version() = %s, want %s", got, tt.wantVersion)
			}
			if got := e.EffectiveVersion().String(); got != tt.wantEf {
				t.Errorf("EffectiveVersion() = %s, want %s", got, tt.wantEf)
			}
		})
	}
}

func TestEvaluateUnknownLevel(t *testing.T) {
	e, _ := NewEvaluator("latest")
	if _, err := e.Evaluate(inventory.PodTemplate{Spec: map[string]any{}}, finding.LevelNone); err == nil {
		t.Fatal("want an error for an empty level")
	}
}

// TestCheckSelection pins the registry's behaviour on the features that make
// it non-trivial: version inflation, checks absent before their first
// version, and restricted overrides of baseline checks.
func TestCheckSelection(t *testing.T) {
	has := func(ids []policy.CheckID, id policy.CheckID) bool {
		for _, x := range ids {
			if x == id {
				return true
			}
		}
		return false
	}
	tests := []struct {
		version string
		level   finding.Level
		present []policy.CheckID
		absent  []policy.CheckID
	}{
		{"v1.0", finding.LevelBaseline, []policy.CheckID{"privileged", "hostNamespaces", "seccompProfile_baseline"}, []policy.CheckID{"runAsNonRoot", "hostProbesAndHostLifecycle"}},
		{"v1.0", finding.LevelRestricted, []policy.CheckID{"runAsNonRoot", "restrictedVolumes", "seccompProfile_baseline"}, []policy.CheckID{"hostPathVolumes", "runAsUser", "capabilities_restricted"}},
		{"v1.22", finding.LevelRestricted, []policy.CheckID{"capabilities_restricted", "seccompProfile_restricted"}, []policy.CheckID{"capabilities_baseline", "seccompProfile_baseline", "runAsUser"}},
		{"v1.23", finding.LevelRestricted, []policy.CheckID{"runAsUser"}, nil},
		{"v1.34", finding.LevelBaseline, []policy.CheckID{"hostProbesAndHostLifecycle", "procMount"}, []policy.CheckID{"procMount_restricted"}},
		{"v1.35", finding.LevelRestricted, []policy.CheckID{"procMount_restricted"}, []policy.CheckID{"procMount"}},
		{"latest", finding.LevelRestricted, []policy.CheckID{"procMount_restricted", "hostProbesAndHostLifecycle"}, []policy.CheckID{"procMount", "hostPathVolumes"}},
	}
	for _, tt := range tests {
		t.Run(tt.version+"/"+string(tt.level), func(t *testing.T) {
			e, err := NewEvaluator(tt.version)
			if err != nil {
				t.Fatal(err)
			}
			ids := e.Checks(tt.level)
			for _, id := range tt.present {
				if !has(ids, id) {
					t.Errorf("%s missing from %v", id, ids)
				}
			}
			for _, id := range tt.absent {
				if has(ids, id) {
					t.Errorf("%s present in %v", id, ids)
				}
			}
		})
	}
}

func TestEvaluateReportsCheckIDs(t *testing.T) {
	e, _ := NewEvaluator("latest")
	tmpl := inventory.PodTemplate{SpecPath: "spec", Spec: map[string]any{
		"hostNetwork": true,
		"containers": []any{map[string]any{
			"name": "app", "image": "nginx",
			"securityContext": map[string]any{"privileged": true},
		}},
	}}
	vs, err := e.Evaluate(tmpl, finding.LevelBaseline)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(vs)
	want := `[{hostNamespaces baseline host namespaces hostNetwork=true} {privileged baseline privileged container "app" must not set securityContext.privileged=true}]`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	vs, _ = e.Evaluate(tmpl, finding.LevelRestricted)
	levels := map[policy.CheckID]finding.Level{}
	for _, v := range vs {
		levels[v.Check] = v.Level
	}
	if levels["privileged"] != finding.LevelBaseline || levels["runAsNonRoot"] != finding.LevelRestricted {
		t.Errorf("levels: %v", levels)
	}
}

// libraryVersions are the versions the equivalence test compares at: every
// minor the fixtures cover, one beyond, and latest.
func libraryVersions(newest api.Version) []api.Version {
	var vs []api.Version
	for m := 0; m <= newest.Minor()+1; m++ {
		vs = append(vs, api.MajorMinorVersion(1, m))
	}
	return append(vs, api.LatestVersion())
}

// referenceDecode converts the whole template with the API machinery's
// converter (leniently where it refuses), then applies the server defaults:
// the pod the library is given in TestMatchesLibrary.
func referenceDecode(t inventory.PodTemplate) *decodedPod {
	var p decodedPod
	conv := runtime.DefaultUnstructuredConverter
	if t.Meta != nil && conv.FromUnstructured(t.Meta, &p.meta) != nil {
		p.meta = metav1.ObjectMeta{}
		lenientDecode(t.Meta, &p.meta, "metadata")
	}
	if conv.FromUnstructured(t.Spec, &p.spec) != nil {
		p.spec = corev1.PodSpec{}
		lenientDecode(t.Spec, &p.spec, "spec")
	}
	p.applyDefaults()
	return &p
}

// TestMatchesLibrary proves that Evaluate — its fast partial decoding and
// its per-check selection — gives exactly the library's verdict: on every
// conformance fixture and every workload of the corpus, at both levels and
// every version, the aggregated verdict, reasons and details equal those of
// the library's own EvaluatePod on the fully converted pod.
func TestMatchesLibrary(t *testing.T) {
	lib, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	fixtures := psstest.Fixtures(t)
	var pods []inventory.PodTemplate
	for _, f := range fixtures {
		tmpl, ok := f.Object.PodTemplateOf()
		if !ok {
			t.Fatalf("%s: no pod template", f.Path)
		}
		pods = append(pods, tmpl)
	}
	nFixtures := len(pods)
	if !testing.Short() {
		pods = append(pods, psstest.CorpusPods(t)...)
	}
	versions := libraryVersions(psstest.NewestVersion(fixtures))
	evals := map[api.Version]*Evaluator{}
	for _, v := range versions {
		e, err := NewEvaluator(v.String())
		if err != nil {
			t.Fatal(err)
		}
		evals[v] = e
	}
	compared, failing := 0, 0
	for i, tmpl := range pods {
		pod := referenceDecode(tmpl)
		for _, v := range versions {
			for _, level := range []finding.Level{finding.LevelBaseline, finding.LevelRestricted} {
				ours, _ := evals[v].Evaluate(tmpl, level)
				want := policy.AggregateCheckResults(lib.EvaluatePod(api.LevelVersion{Level: api.Level(level), Version: v}, &pod.meta, &pod.spec))
				got := Aggregate(ours)
				if got.Allowed != want.Allowed || got.ForbiddenDetail() != want.ForbiddenDetail() {
					t.Errorf("pod %d (%s) at %s %s:\n got  %v %s\n want %v %s", i, name(tmpl), level, v,
						got.Allowed, got.ForbiddenDetail(), want.Allowed, want.ForbiddenDetail())
				}
				if !want.Allowed {
					failing++
				}
				compared++
			}
		}
	}
	t.Logf("%d evaluations compared (%d fixtures, %d corpus pods, %d versions, 2 levels), %d failing", compared, nFixtures, len(pods)-nFixtures, len(versions), failing)
}

func name(t inventory.PodTemplate) string {
	n, _ := t.Meta["name"].(string)
	return strings.TrimSpace(n)
}
