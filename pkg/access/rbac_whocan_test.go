package access_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/access"
	"github.com/kharden/kharden/pkg/inventory"
)

// loadRBAC reads a fixture as `kharden rbac` reads files: namespace-less
// objects go to "default", as kubectl apply would put them.
func loadRBAC(t *testing.T, paths ...string) *inventory.Inventory {
	t.Helper()
	inv, err := inventory.Load(context.Background(), inventory.LoadOptions{Paths: paths, DefaultNamespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if errs := inv.Errors(); len(errs) > 0 {
		t.Fatal(errs)
	}
	return inv
}

// subjectLines renders subjects as KIND:NS/NAME for comparison.
func subjectLines(a *access.WhoCanAnswer) []string {
	var out []string
	for _, s := range a.Subjects {
		line := s.Kind + ":" + s.Namespace + "/" + s.Name
		if len(s.Namespaces) > 0 {
			line += " in " + strings.Join(s.Namespaces, ",")
		}
		out = append(out, line)
	}
	return out
}

func TestWhoCan(t *testing.T) {
	inv := loadRBAC(t, "testdata/rbac/cluster.yaml")
	res := access.FileResources(inv)
	cases := []struct {
		name string
		q    access.Question
		want []string
	}{
		{"aggregated ClusterRole, cluster-wide", access.Question{Verb: "list", Resource: "secrets"},
			[]string{"Group:/system:masters", "User:/carol", "Group:/auditors"}},
		{"RoleBinding to a ClusterRole adds its subjects in its namespace",
			access.Question{Verb: "get", Resource: "secrets", Namespace: "shop"},
			[]string{"Group:/system:masters", "User:/carol", "Group:/auditors", "Group:/shop-devs", "ServiceAccount:shop/ci"}},
		{"not in another namespace", access.Question{Verb: "create", Resource: "deployments.apps", Namespace: "shop"},
			[]string{"Group:/system:masters", "Group:/shop-devs", "ServiceAccount:shop/ci"}},
		{"short name resolves to its group", access.Question{Verb: "patch", Resource: "deploy", Namespace: "billing"},
			[]string{"Group:/system:masters", "User:/bob"}},
		{"implicit ServiceAccount group", access.Question{Verb: "get", Resource: "pods/log", Namespace: "shop"},
			[]string{"Group:/system:masters", "Group:/system:serviceaccounts:shop"}},
		{"non-resource URL", access.Question{Verb: "get", Resource: "/healthz"},
			[]string{"Group:/system:masters", "Group:/system:authenticated"}},
		{"all namespaces", access.Question{Verb: "get", Resource: "secrets", AllNamespaces: true},
			[]string{"Group:/system:masters in *", "User:/bob in billing", "User:/carol in *", "Group:/auditors in *",
				"Group:/shop-devs in shop", "ServiceAccount:shop/ci in shop"}},
		{"cluster-scoped resource ignores the namespace", access.Question{Verb: "get", Resource: "nodes", Namespace: "shop"},
			[]string{"Group:/system:masters"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := access.WhoCan(inv, c.q, res)
			if err != nil {
				t.Fatal(err)
			}
			if got := subjectLines(a); !reflect.DeepEqual(got, c.want) {
				t.Errorf("subjects\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestWhoCanVia(t *testing.T) {
	inv := loadRBAC(t, "testdata/rbac/cluster.yaml")
	a, err := access.WhoCan(inv, access.Question{Verb: "watch", Resource: "secrets", Namespace: "shop"}, access.FileResources(inv))
	if err != nil {
		t.Fatal(err)
	}
	var auditors *access.SubjectAnswer
	for i := range a.Subjects {
		if a.Subjects[i].Name == "auditors" {
			auditors = &a.Subjects[i]
		}
	}
	if auditors == nil || len(auditors.Via) != 1 {
		t.Fatalf("auditors: %+v", a.Subjects)
	}
	want := access.Via{
		Binding:        access.Ref{Kind: "ClusterRoleBinding", Name: "auditors"},
		Role:           access.Ref{Kind: "ClusterRole", Name: "secret-auditor"},
		Rule:           2,
		RuleText:       "get,list,watch secrets",
		AggregatedFrom: "ClusterRole/secret-auditor-secrets",
	}
	if got := auditors.Via[0]; got != want {
		t.Errorf("via\n got %+v\nwant %+v", got, want)
	}
	if s := want.String(); s != "ClusterRoleBinding/auditors -> ClusterRole/secret-auditor rule 2: get,list,watch secrets (from ClusterRole/secret-auditor-secrets)" {
		t.Errorf("via text %q", s)
	}
	if !a.Subjects[0].Privileged || a.Subjects[0].Name != "system:masters" {
		t.Errorf("first subject is not system:masters: %+v", a.Subjects[0])
	}
	// RoleBinding -> ClusterRole: the binding is namespaced, the role not.
	for _, s := range a.Subjects {
		if s.Kind == "ServiceAccount" {
			t.Errorf("watch is not granted to the ServiceAccount: %+v", s)
		}
	}
	b, err := access.WhoCan(inv, access.Question{Verb: "get", Resource: "secrets", Namespace: "shop"}, access.FileResources(inv))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range b.Subjects {
		if s.Kind == "ServiceAccount" {
			v := s.Via[0]
			if v.Binding != (access.Ref{Kind: "RoleBinding", Namespace: "shop", Name: "shop-deployers"}) ||
				v.Role != (access.Ref{Kind: "ClusterRole", Name: "deployer"}) || v.Rule != 2 || v.AggregatedFrom != "" {
				t.Errorf("ServiceAccount via %+v", v)
			}
		}
	}
}

func TestWhoCanWarnings(t *testing.T) {
	inv := loadRBAC(t, "testdata/rbac/cluster.yaml")
	res := access.FileResources(inv)
	a, err := access.WhoCan(inv, access.Question{Verb: "get", Resource: "frobnicators", Namespace: "shop"}, res)
	if err != nil {
		t.Fatalf("an unknown resource is a warning, not an error: %v", err)
	}
	if !strings.Contains(strings.Join(a.Warnings, "\n"), `resource "frobnicators" is not known`) {
		t.Errorf("warnings %q", a.Warnings)
	}
	if !strings.Contains(strings.Join(a.Warnings, "\n"), "does-not-exist") {
		t.Errorf("the dangling binding is not among the warnings: %q", a.Warnings)
	}
	for _, q := range []access.Question{
		{Verb: "", Resource: "pods"},
		{Verb: "get", Resource: ""},
		{Verb: "get", Resource: "pods/log/extra"},
		{Verb: "get", Resource: "/healthz", Namespace: "shop"},
		{Verb: "get", Resource: "pods", Namespace: "shop", AllNamespaces: true},
		{Verb: "get\x1b[2J", Resource: "pods"},
	} {
		if _, err := access.WhoCan(inv, q, res); err == nil {
			t.Errorf("%+v: no error", q)
		}
	}
}

// TestWhoCanJSON holds the JSON shape: request, subjects with kind, name,
// namespace (ServiceAccounts only) and via, warnings always an array.
func TestWhoCanJSON(t *testing.T) {
	inv := loadRBAC(t, "testdata/rbac/cluster.yaml")
	a, err := access.WhoCan(inv, access.Question{Verb: "get", Resource: "secrets", Namespace: "shop"}, access.FileResources(inv))
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"request", "subjects", "warnings"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, data)
		}
	}
	for _, s := range m["subjects"].([]any) {
		sm := s.(map[string]any)
		_, hasNS := sm["namespace"]
		if hasNS != (sm["kind"] == "ServiceAccount") {
			t.Errorf("namespace only for ServiceAccounts: %v", sm)
		}
		if _, ok := sm["via"].([]any); !ok {
			t.Errorf("via is not an array: %v", sm)
		}
	}
	var out strings.Builder
	if err := a.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Who can get secrets in namespace shop:", "KIND", "shop-devs",
		"RoleBinding/shop/shop-deployers -> ClusterRole/deployer rule 2: get secrets", "privileged group"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}
