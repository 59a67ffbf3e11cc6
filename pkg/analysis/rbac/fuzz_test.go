package rbac_test

import (
	"os"
	"testing"

	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/inventory"
)

// FuzzBuild feeds arbitrary YAML to the index: malformed roles and
// bindings (wrong types, unknown subject kinds, bad selectors, dangling
// references) must become problems, never a panic, and every query must
// still answer.
func FuzzBuild(f *testing.F) {
	if seed, err := os.ReadFile("testdata/basic.yaml"); err == nil {
		f.Add(seed)
	}
	f.Add([]byte("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: a}\naggregationRule:\n  clusterRoleSelectors:\n  - matchExpressions: [{key: x, operator: Bogus}]\nrules: 3\n"))
	f.Add([]byte("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: n}\nroleRef: {kind: Role}\nsubjects: [{kind: Robot, name: r}, 7, {kind: ServiceAccount}]\n"))
	f.Add([]byte("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: c}\nroleRef: {kind: Role, name: x}\nsubjects: [{kind: ServiceAccount, name: s}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, _ := inventory.ParseDocumentsLimit("fuzz.yaml", data, inventory.OriginFile, 1<<20)
		var b inventory.Builder
		for _, o := range objs {
			b.Add(o)
		}
		x := rbac.Build(b.Build())
		for _, p := range x.Problems {
			if p.Message == "" || p.String() == "" {
				t.Errorf("empty problem %+v", p)
			}
		}
		u := rbac.ServiceAccount("n", "s")
		x.Authorize(u, rbac.Request{Verb: "get", Resource: "secrets", Namespace: "n"}, true)
		x.Authorize(u, rbac.Request{Verb: "get", Path: "/healthz"}, true)
		x.WhoCan(rbac.Request{Verb: "list", Resource: "pods", Subresource: "log", Namespace: "n"})
		x.Permissions(u)
		for _, bd := range x.Bindings {
			x.BindingRisks(bd)
		}
	})
}
