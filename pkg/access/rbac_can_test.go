package access_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/access"
)

func TestParseSubject(t *testing.T) {
	cases := []struct {
		in     string
		groups []string
		want   access.Subject
	}{
		{"alice", nil, access.Subject{Kind: "User", Name: "alice", Groups: []string{"system:authenticated"}}},
		{"User:alice", []string{"devs"}, access.Subject{Kind: "User", Name: "alice", Groups: []string{"devs", "system:authenticated"}}},
		{"user:system:kube-scheduler", nil, access.Subject{Kind: "User", Name: "system:kube-scheduler", Groups: []string{"system:authenticated"}}},
		{"oidc:alice@example.com", nil, access.Subject{Kind: "User", Name: "oidc:alice@example.com", Groups: []string{"system:authenticated"}}},
		{"system:anonymous", nil, access.Subject{Kind: "User", Name: "system:anonymous", Groups: []string{"system:unauthenticated"}}},
		{"Group:devs", nil, access.Subject{Kind: "Group", Name: "devs", Groups: []string{"devs"}}},
		{"group:system:masters", nil, access.Subject{Kind: "Group", Name: "system:masters", Groups: []string{"system:masters"}}},
		{"ServiceAccount:shop/ci", nil, access.Subject{Kind: "ServiceAccount", Namespace: "shop", Name: "ci",
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"}}},
		{"sa:shop/ci", nil, access.Subject{Kind: "ServiceAccount", Namespace: "shop", Name: "ci",
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"}}},
		{"system:serviceaccount:shop:ci", nil, access.Subject{Kind: "ServiceAccount", Namespace: "shop", Name: "ci",
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"}}},
	}
	for _, c := range cases {
		got, err := access.ParseSubject(c.in, c.groups)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q\n got %+v\nwant %+v", c.in, got, c.want)
		}
	}
	bad := []struct {
		in     string
		groups []string
		msg    string
	}{
		{"", nil, "empty"},
		{"User:", nil, "needs a name"},
		{"Group:", nil, "needs a name"},
		{"ServiceAccount:ci", nil, "NAMESPACE/NAME"},
		{"sa:/ci", nil, "NAMESPACE/NAME"},
		{"sa:shop/ci/x", nil, "NAMESPACE/NAME"},
		{"system:serviceaccount:shop", nil, "system:serviceaccount:NAMESPACE:NAME"},
		{"Role:admin", nil, `unknown subject kind "Role"`},
		{"ClusterRole:admin", nil, "unknown subject kind"},
		{"Group:devs", []string{"ops"}, "--group applies to users only"},
		{"sa:shop/ci", []string{"ops"}, "--group applies to users only"},
		{"alice\x1b]0;pwned\x07", nil, "control characters"},
		{"alice", []string{""}, "empty group"},
		{"alice", []string{"a\nb"}, "control characters"},
		{strings.Repeat("a", 2000), nil, "longer than any Kubernetes name"},
		{"\xff\xfe", nil, "UTF-8"},
	}
	for _, c := range bad {
		_, err := access.ParseSubject(c.in, c.groups)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q %q: error %v, want one containing %q", c.in, c.groups, err, c.msg)
		}
	}
}

// ruleLines renders each namespace's rules as "NS: RULETEXT via BINDING".
func ruleLines(a *access.CanAnswer) []string {
	var out []string
	for _, nr := range a.Namespaces {
		for _, r := range nr.Rules {
			out = append(out, nr.Namespace+": "+r.Via.RuleText+" via "+r.Via.Binding.String())
		}
	}
	return out
}

func TestCanServiceAccountWithImplicitGroups(t *testing.T) {
	inv := loadRBAC(t, "testdata/rbac/cluster.yaml")
	sub, err := access.ParseSubject("sa:shop/ci", nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := access.Can(inv, sub, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"shop: get,list,watch pods,pods/log via RoleBinding/shop/shop-sa-pod-readers",
		"shop: get,list,create,update,patch deployments.apps via RoleBinding/shop/shop-deployers",
		"shop: get secrets via RoleBinding/shop/shop-deployers",
		": get /healthz,/livez via ClusterRoleBinding/health",
	}
	got := ruleLines(a)
	if !sameSet(got, want) {
		t.Errorf("rules\n got %q\nwant %q", got, want)
	}
	if a.Namespaces[0].Namespace != "" {
		t.Errorf("cluster-wide does not come first: %+v", a.Namespaces)
	}
	if a.Privileged || a.ClusterAdmin {
		t.Errorf("privileged %v, cluster admin %v", a.Privileged, a.ClusterAdmin)
	}
	var out strings.Builder
	if err := a.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"ServiceAccount shop/ci (groups: system:serviceaccounts,system:serviceaccounts:shop,system:authenticated)",
		"cluster-wide", "namespace shop:", "RoleBinding/shop/shop-sa-pod-readers -> Role/shop/pod-reader rule 1"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("table lacks %q:\n%s", w, out.String())
		}
	}
}

func TestCanUserGroupAndFilter(t *testing.T) {
	inv := loadRBAC(t, "testdata/rbac/cluster.yaml")
	ask := func(s string, groups []string, ns string) *access.CanAnswer {
		t.Helper()
		sub, err := access.ParseSubject(s, groups)
		if err != nil {
			t.Fatal(err)
		}
		a, err := access.Can(inv, sub, ns)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	// A user with --group gets the group's rules and system:authenticated's.
	got := ruleLines(ask("alice", []string{"shop-devs"}, ""))
	want := []string{": get /healthz,/livez via ClusterRoleBinding/health",
		"shop: get,list,create,update,patch deployments.apps via RoleBinding/shop/shop-deployers",
		"shop: get secrets via RoleBinding/shop/shop-deployers"}
	if !sameSet(got, want) {
		t.Errorf("alice+shop-devs\n got %q\nwant %q", got, want)
	}
	// A Group is asked as a member of that group only: not system:authenticated.
	got = ruleLines(ask("Group:auditors", nil, ""))
	want = []string{": get,list configmaps via ClusterRoleBinding/auditors", ": get,list,watch secrets via ClusterRoleBinding/auditors"}
	if !sameSet(got, want) {
		t.Errorf("Group:auditors\n got %q\nwant %q", got, want)
	}
	// -n keeps cluster-wide rules and that namespace.
	a := ask("bob", nil, "shop")
	if len(a.Namespaces) != 2 || a.Namespaces[1].Namespace != "shop" || len(a.Namespaces[1].Rules) != 0 {
		t.Errorf("bob -n shop: %+v", a.Namespaces)
	}
	a = ask("bob", nil, "billing")
	if len(a.Namespaces) != 2 || len(a.Namespaces[1].Rules) != 2 {
		t.Errorf("bob -n billing: %+v", a.Namespaces)
	}
	if a := ask("User:root", []string{"system:masters"}, ""); !a.Privileged || !a.ClusterAdmin {
		t.Errorf("system:masters member: %+v", a)
	}
}

// TestMalformedRBAC: fields of the wrong shape are warnings naming the file
// and line, and what can be read still counts.
func TestMalformedRBAC(t *testing.T) {
	inv := loadRBAC(t, "testdata/rbac/malformed.yaml")
	sub, _ := access.ParseSubject("erin", nil)
	a, err := access.Can(inv, sub, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := ruleLines(a); !sameSet(got, []string{": list configmaps via ClusterRoleBinding/odd-subjects", ":  pods via ClusterRoleBinding/odd-subjects"}) {
		t.Errorf("erin: %q", got)
	}
	warnings := strings.Join(a.Warnings, "\n")
	for _, w := range []string{
		"testdata/rbac/malformed.yaml:3: ClusterRole/broken-rules: rules: want a list of rules, got a string",
		`unknown subject kind "Robot"`,
		`ServiceAccount "no-namespace" has no namespace`,
		"roleRef is missing or not a mapping",
	} {
		if !strings.Contains(warnings, w) {
			t.Errorf("warnings lack %q:\n%s", w, warnings)
		}
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		m[s]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}
