package rbac_test

import (
	"context"
	"testing"

	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/inventory"
)

func load(t *testing.T, path string) *rbac.Index {
	t.Helper()
	inv, err := inventory.Load(context.Background(), inventory.LoadOptions{Paths: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	if errs := inv.Errors(); len(errs) > 0 {
		t.Fatal(errs)
	}
	return rbac.Build(inv)
}

func TestAuthorizeBasics(t *testing.T) {
	x := load(t, "testdata/basic.yaml")
	prom := rbac.ServiceAccount("monitoring", "prometheus")
	ci := rbac.ServiceAccount("shop", "ci")
	dev := rbac.User{Name: "alice", Groups: []string{"shop-devs", rbac.GroupAuthenticated}}
	anon := rbac.User{Name: rbac.UserAnonymous, Groups: []string{rbac.GroupUnauthenticated}}
	cases := []struct {
		name string
		u    rbac.User
		req  rbac.Request
		want bool
	}{
		{"aggregated by matchLabels", prom, rbac.Request{Verb: "list", Resource: "pods", Namespace: "x"}, true},
		{"aggregated cluster-wide", prom, rbac.Request{Verb: "watch", Resource: "endpoints"}, true},
		{"aggregated by matchExpressions", prom, rbac.Request{Verb: "get", Resource: "pods", Subresource: "log", Namespace: "a", Name: "p"}, true},
		{"not granted verb", prom, rbac.Request{Verb: "delete", Resource: "pods", Namespace: "x"}, false},
		{"subresource not implied", prom, rbac.Request{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "x"}, false},
		{"rolebinding SA defaulted namespace", ci, rbac.Request{Verb: "list", Resource: "secrets", Namespace: "shop"}, true},
		{"rolebinding other namespace", ci, rbac.Request{Verb: "list", Resource: "secrets", Namespace: "other"}, false},
		{"rolebinding not cluster-wide", ci, rbac.Request{Verb: "list", Resource: "secrets"}, false},
		{"group subject", dev, rbac.Request{Verb: "get", Resource: "secrets", Namespace: "shop", Name: "db"}, true},
		{"resourceNames match", dev, rbac.Request{Verb: "get", Resource: "configmaps", Namespace: "shop", Name: "app-config"}, true},
		{"resourceNames other", dev, rbac.Request{Verb: "get", Resource: "configmaps", Namespace: "shop", Name: "other"}, false},
		{"resourceNames no name", dev, rbac.Request{Verb: "get", Resource: "configmaps", Namespace: "shop"}, false},
		{"nonresource exact", anon, rbac.Request{Verb: "get", Path: "/metrics"}, true},
		{"nonresource prefix", anon, rbac.Request{Verb: "get", Path: "/debug/pprof/heap"}, true},
		{"nonresource other", anon, rbac.Request{Verb: "get", Path: "/metricsx"}, false},
		{"masters", rbac.User{Name: "root", Groups: []string{rbac.GroupMasters}}, rbac.Request{Verb: "delete", Resource: "nodes"}, true},
	}
	for _, c := range cases {
		if got, _ := x.Authorize(c.u, c.req, false); got != c.want {
			t.Errorf("%s: Authorize(%s, %s) = %v, want %v", c.name, c.u.Name, c.req, got, c.want)
		}
	}
	var dangling int
	for _, p := range x.Problems {
		if p.Dangling {
			dangling++
		}
	}
	if dangling != 1 {
		t.Errorf("want one dangling binding, got problems %v", x.Problems)
	}
}

func TestWhoCanAndRisks(t *testing.T) {
	x := load(t, "testdata/basic.yaml")
	got := x.WhoCan(rbac.Request{Verb: "list", Resource: "secrets", Namespace: "shop"})
	var names []string
	for _, s := range got {
		names = append(names, s.Kind+":"+s.Namespace+"/"+s.Name)
	}
	want := []string{"Group:/system:masters", "Group:/shop-devs", "ServiceAccount:shop/ci"}
	if len(names) != len(want) {
		t.Fatalf("who-can list secrets -n shop = %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("who-can list secrets -n shop = %v, want %v", names, want)
		}
	}
	risks := map[string]bool{}
	for _, b := range x.Bindings {
		for _, r := range x.BindingRisks(b) {
			risks[b.Ref.Name+":"+string(r.ID)] = true
		}
	}
	for _, w := range []string{"ci-secrets:rbac-secrets-read", "dangling:rbac-binding-to-missing-role",
		"anon-nodes:rbac-anonymous-access", "anon-nodes:rbac-nodes-proxy"} {
		if !risks[w] {
			t.Errorf("missing risk %s in %v", w, risks)
		}
	}
	if risks["prometheus:rbac-secrets-read"] {
		t.Errorf("prometheus does not read secrets")
	}
}

// TestDefaultRolesFromFiles: manifests bind to the API server's default
// roles without shipping them; the index knows what they grant, aggregation
// into them included, and does not report them missing.
func TestDefaultRolesFromFiles(t *testing.T) {
	x := load(t, "testdata/default-roles.yaml")
	dev := rbac.User{Name: "alice", Groups: []string{"shop-devs"}}
	auditor := rbac.User{Name: "bob", Groups: []string{"auditors"}}
	cases := []struct {
		u    rbac.User
		req  rbac.Request
		want bool
	}{
		{dev, rbac.Request{Verb: "get", Resource: "secrets", Namespace: "shop", Name: "db"}, true},
		{dev, rbac.Request{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "shop", Name: "p"}, true},
		{dev, rbac.Request{Verb: "create", Resource: "rolebindings", APIGroup: "rbac.authorization.k8s.io", Namespace: "shop"}, false},
		{dev, rbac.Request{Verb: "get", Resource: "secrets", Namespace: "other", Name: "db"}, false},
		{auditor, rbac.Request{Verb: "list", Resource: "pods"}, true},
		{auditor, rbac.Request{Verb: "list", Resource: "secrets"}, false},
		{auditor, rbac.Request{Verb: "list", APIGroup: "example.com", Resource: "widgets"}, true},
	}
	for _, c := range cases {
		if got, _ := x.Authorize(c.u, c.req, false); got != c.want {
			t.Errorf("Authorize(%s, %s) = %v, want %v", c.u.Name, c.req, got, c.want)
		}
	}
	for _, p := range x.Problems {
		t.Errorf("unexpected problem: %s", p)
	}
	if r := x.Role("", "view"); r == nil || r.Object.Origin != inventory.OriginBuiltIn {
		t.Errorf("view is not the built-in default role: %+v", r)
	}
}
