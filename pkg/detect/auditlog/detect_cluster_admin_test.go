package auditlog

import (
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// objBinding builds a (Cluster)RoleBinding body.
func objBinding(kind, name, role string, subjects ...map[string]any) map[string]any {
	subs := make([]any, 0, len(subjects))
	for _, s := range subjects {
		subs = append(subs, s)
	}
	return map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": map[string]any{"name": name},
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
		"subjects": subs,
	}
}

// objClusterRole builds a ClusterRole body with one rule.
func objClusterRole(name string, groups, resources, verbs []any) map[string]any {
	return map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": map[string]any{"name": name},
		"rules": []any{map[string]any{"apiGroups": groups, "resources": resources, "verbs": verbs}},
	}
}

func TestClusterAdminGranted(t *testing.T) {
	const rbac = "rbac.authorization.k8s.io"
	user := map[string]any{"kind": "User", "name": "eve", "apiGroup": rbac}
	sa := map[string]any{"kind": "ServiceAccount", "name": "deployer", "namespace": "ci"}
	crb := objBinding("ClusterRoleBinding", "eve-admin", "cluster-admin", user, sa)
	view := objBinding("ClusterRoleBinding", "eve-view", "view", user)
	star := []any{"*"}
	wild := objClusterRole("super", star, star, star)
	narrow := objClusterRole("super", []any{""}, []any{"pods"}, []any{"get"})
	for _, tc := range []struct {
		name string
		es   []E
		want int
		msg  string
	}{
		{"create binding", []E{{User: "alice", Verb: "create", Resource: "clusterrolebindings", Group: rbac, Name: "eve-admin", Body: crb}}, 1,
			"alice created ClusterRoleBinding eve-admin granting ClusterRole cluster-admin cluster-wide to User eve, ServiceAccount ci/deployer."},
		{"patch reads the response", []E{{User: "alice", Verb: "patch", Resource: "clusterrolebindings", Group: rbac, Name: "eve-admin",
			Body: map[string]any{"subjects": []any{user}}, Response: crb}}, 1, "alice patched ClusterRoleBinding eve-admin"},
		{"rolebinding", []E{{User: "alice", Verb: "create", Resource: "rolebindings", Group: rbac, NS: "team", Name: "eve-admin",
			Body: objBinding("RoleBinding", "eve-admin", "cluster-admin", user)}}, 1, "in namespace team to User eve."},
		{"wildcard role", []E{{User: "alice", Verb: "create", Resource: "clusterroles", Group: rbac, Name: "super", Body: wild}}, 1, "the equivalent of cluster-admin"},
		{"binding to wildcard role", []E{
			{User: "alice", Verb: "create", Resource: "clusterroles", Group: rbac, Name: "super", Body: wild},
			{At: 1e9, User: "alice", Verb: "create", Resource: "clusterrolebindings", Group: rbac, Name: "eve-super", Body: objBinding("ClusterRoleBinding", "eve-super", "super", user)},
		}, 2, ""},
		{"role narrowed before binding", []E{
			{User: "alice", Verb: "create", Resource: "clusterroles", Group: rbac, Name: "super", Body: wild},
			{At: 1e9, User: "alice", Verb: "update", Resource: "clusterroles", Group: rbac, Name: "super", Body: narrow},
			{At: 2e9, User: "alice", Verb: "create", Resource: "clusterrolebindings", Group: rbac, Name: "eve-super", Body: objBinding("ClusterRoleBinding", "eve-super", "super", user)},
		}, 1, ""},
		{"other role", []E{{User: "alice", Verb: "create", Resource: "clusterrolebindings", Group: rbac, Name: "eve-view", Body: view}}, 0, ""},
		{"apiserver bootstrap", []E{
			{User: "system:apiserver", Verb: "create", Resource: "clusterrolebindings", Group: rbac, Name: "cluster-admin", Body: objBinding("ClusterRoleBinding", "cluster-admin", "cluster-admin", map[string]any{"kind": "Group", "name": "system:masters"})},
			{User: "system:apiserver", Verb: "create", Resource: "clusterroles", Group: rbac, Name: "cluster-admin", Body: objClusterRole("cluster-admin", star, star, star)},
		}, 0, ""},
		{"denied", []E{{User: "alice", Verb: "create", Resource: "clusterrolebindings", Group: rbac, Name: "eve-admin", Body: crb, Code: 403}}, 0, ""},
		{"non-final", []E{{User: "alice", Verb: "create", Resource: "clusterrolebindings", Group: rbac, Name: "eve-admin", Body: crb, Stage: StageRequestReceived}}, 0, ""},
		{"delete", []E{{User: "alice", Verb: "delete", Resource: "clusterrolebindings", Group: rbac, Name: "eve-admin"}}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := analyze(t, nil, tc.es, checks.RuleAuditClusterAdminGranted)
			if len(fs) != tc.want {
				t.Fatalf("want %d findings, got %+v", tc.want, fs)
			}
			for _, f := range fs {
				if f.Severity != finding.SeverityCritical {
					t.Errorf("severity %v", f.Severity)
				}
			}
			if tc.msg != "" && !strings.Contains(fs[0].Message, tc.msg) {
				t.Errorf("message %q lacks %q", fs[0].Message, tc.msg)
			}
		})
	}
}

func TestClusterAdminRelatesSubjects(t *testing.T) {
	crb := objBinding("RoleBinding", "b", "cluster-admin", map[string]any{"kind": "ServiceAccount", "name": "app"}, map[string]any{"kind": "Group", "name": "devs"})
	fs := analyze(t, nil, []E{{User: "alice", Verb: "create", Resource: "rolebindings", Group: "rbac.authorization.k8s.io", NS: "team", Name: "b", Body: crb}})
	fs = objFind(fs, checks.RuleAuditClusterAdminGranted)
	if len(fs) != 1 {
		t.Fatalf("findings %+v", fs)
	}
	rel := fs[0].Related
	if len(rel) != 3 || rel[0].Object.Kind != "ServiceAccount" || rel[0].Object.Namespace != "team" || rel[1].Object.Kind != "Group" || rel[2].Role != "role" {
		t.Errorf("related %+v", rel)
	}
	if fs[0].Object.Kind != "RoleBinding" || fs[0].Object.Namespace != "team" || fs[0].Object.Name != "b" {
		t.Errorf("object %+v", fs[0].Object)
	}
}
