package rbacgen_test

import (
	"reflect"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/analysis/rbac/rbacgen"
)

func TestDeterministic(t *testing.T) {
	a, b := rbacgen.Generate(7, rbacgen.Fidelity()), rbacgen.Generate(7, rbacgen.Fidelity())
	if !reflect.DeepEqual(a, b) {
		t.Fatal("Generate is not deterministic for a seed")
	}
	if reflect.DeepEqual(a, rbacgen.Generate(8, rbacgen.Fidelity())) {
		t.Fatal("Generate ignores the seed")
	}
	qa, qb := rbacgen.Questions(3, a, 500), rbacgen.Questions(3, a, 500)
	if !reflect.DeepEqual(qa, qb) {
		t.Fatal("Questions is not deterministic for a seed")
	}
}

// TestValid checks what the API server's validation would reject, so that
// a failure to create the set on a test server is not the first sign.
func TestValid(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		objs := rbacgen.Generate(seed, rbacgen.Fidelity())
		namespaces := map[string]bool{}
		chains := map[string][]string{} // aggregated role -> chain values it selects
		chainOf := map[string]string{}  // chain value -> role
		for i, o := range objs {
			conv := runtime.DefaultUnstructuredConverter
			switch o["kind"] {
			case "Namespace":
				namespaces[o["metadata"].(map[string]any)["name"].(string)] = true
			case "ClusterRole":
				var cr rbacv1.ClusterRole
				if err := conv.FromUnstructured(o, &cr); err != nil {
					t.Fatalf("seed %d object %d: %v", seed, i, err)
				}
				checkRules(t, cr.Name, cr.Rules, true)
				if v := cr.Labels["kharden.test/chain"]; v != "" {
					chainOf[v] = cr.Name
				}
				if cr.AggregationRule != nil {
					if len(cr.AggregationRule.ClusterRoleSelectors) == 0 {
						t.Errorf("%s: aggregationRule without selectors", cr.Name)
					}
					for _, s := range cr.AggregationRule.ClusterRoleSelectors {
						if _, err := metav1.LabelSelectorAsSelector(&s); err != nil {
							t.Errorf("%s: %v", cr.Name, err)
						}
						for _, e := range s.MatchExpressions {
							if e.Key == "kharden.test/chain" {
								chains[cr.Name] = append(chains[cr.Name], e.Values...)
							}
						}
					}
				}
			case "Role":
				var r rbacv1.Role
				if err := conv.FromUnstructured(o, &r); err != nil {
					t.Fatalf("seed %d object %d: %v", seed, i, err)
				}
				if !namespaces[r.Namespace] {
					t.Errorf("Role %s/%s before its namespace", r.Namespace, r.Name)
				}
				checkRules(t, r.Name, r.Rules, false)
			case "RoleBinding", "ClusterRoleBinding":
				var b rbacv1.RoleBinding
				if err := conv.FromUnstructured(o, &b); err != nil {
					t.Fatalf("seed %d object %d: %v", seed, i, err)
				}
				if o["kind"] == "RoleBinding" && !namespaces[b.Namespace] {
					t.Errorf("RoleBinding %s/%s before its namespace", b.Namespace, b.Name)
				}
				if o["kind"] == "ClusterRoleBinding" && b.RoleRef.Kind != "ClusterRole" {
					t.Errorf("ClusterRoleBinding %s refers to a %s", b.Name, b.RoleRef.Kind)
				}
				checkSubjects(t, o["kind"].(string), b.Name, b.Subjects)
			}
		}
		// Chains must not loop: the controller's answer for a cycle
		// depends on timing.
		for role := range chains {
			seen := map[string]bool{}
			var walk func(string)
			walk = func(r string) {
				if seen[r] {
					t.Fatalf("seed %d: aggregation cycle through %s", seed, r)
				}
				seen[r] = true
				for _, v := range chains[r] {
					walk(chainOf[v])
				}
				delete(seen, r)
			}
			walk(role)
		}
	}
}

func checkRules(t *testing.T, name string, rules []rbacv1.PolicyRule, cluster bool) {
	t.Helper()
	for i, r := range rules {
		switch {
		case len(r.Verbs) == 0:
			t.Errorf("%s rule %d: no verbs", name, i)
		case len(r.NonResourceURLs) > 0 && (!cluster || len(r.APIGroups)+len(r.Resources)+len(r.ResourceNames) > 0):
			t.Errorf("%s rule %d: non-resource URLs in a Role or with resources", name, i)
		case len(r.NonResourceURLs) == 0 && (len(r.APIGroups) == 0 || len(r.Resources) == 0):
			t.Errorf("%s rule %d: resource rule without apiGroups or resources", name, i)
		}
	}
}

func checkSubjects(t *testing.T, kind, name string, subjects []rbacv1.Subject) {
	t.Helper()
	if len(subjects) == 0 {
		t.Errorf("%s %s: no subjects", kind, name)
	}
	for _, s := range subjects {
		switch s.Kind {
		case "User", "Group":
			if s.APIGroup != "rbac.authorization.k8s.io" || s.Name == "" || s.Name == rbac.GroupMasters {
				t.Errorf("%s %s: bad subject %+v", kind, name, s)
			}
		case "ServiceAccount":
			if s.APIGroup != "" || (kind == "ClusterRoleBinding" && s.Namespace == "") {
				t.Errorf("%s %s: bad subject %+v", kind, name, s)
			}
		default:
			t.Errorf("%s %s: subject kind %q", kind, name, s.Kind)
		}
	}
}

// TestVariety: the set holds every feature the package promises, and the
// questions are allowed in a share that tests both answers.
func TestVariety(t *testing.T) {
	objs := rbacgen.Generate(1, rbacgen.Fidelity())
	inv, err := rbacgen.Inventory(objs)
	if err != nil {
		t.Fatal(err)
	}
	x := rbac.Build(inv)
	var dangling, chained int
	for _, p := range x.Problems {
		if !p.Dangling {
			t.Errorf("problem: %s", p)
		}
		dangling++
	}
	for _, r := range x.Roles {
		if r.Aggregation == nil {
			continue
		}
		for _, src := range r.RuleSources {
			if x.Role("", src) != nil && x.Role("", src).Aggregation != nil {
				chained++
				break
			}
		}
	}
	if dangling == 0 || chained == 0 {
		t.Errorf("dangling bindings %d, chained aggregated roles %d: want some of each", dangling, chained)
	}
	if none := x.Role("", "kh-agg-0"); none == nil || len(none.RuleSources) > 0 || len(none.Rules) == 0 {
		t.Errorf("want kh-agg-0 to select nothing and keep its own rules, got %+v", none)
	}
	qs := rbacgen.Questions(1, objs, 5000)
	allowed, nonResource := 0, 0
	for _, q := range qs {
		if rbac.IsPrivileged(q.User) {
			t.Fatalf("question as system:masters: %+v", q)
		}
		if ok, _ := x.Authorize(q.User, q.Request, false); ok {
			allowed++
		}
		if !q.Request.IsResource() {
			nonResource++
		}
	}
	share := float64(allowed) / float64(len(qs))
	t.Logf("allowed %d of %d (%.0f%%), non-resource %d", allowed, len(qs), 100*share, nonResource)
	if share < 0.3 || share > 0.6 || nonResource < len(qs)/20 {
		t.Errorf("allowed share %.2f (want 0.3 to 0.6), non-resource questions %d", share, nonResource)
	}
	if len(rbacgen.Subjects(objs)) < 30 {
		t.Errorf("only %d subjects", len(rbacgen.Subjects(objs)))
	}
}

func TestBench50kSize(t *testing.T) {
	if testing.Short() {
		t.Skip("large")
	}
	n := 0
	for _, o := range rbacgen.Generate(1, rbacgen.Bench50k()) {
		if o["kind"] != "Namespace" {
			n++
		}
	}
	if n != 50000 {
		t.Fatalf("roles and bindings = %d, want 50000", n)
	}
}
