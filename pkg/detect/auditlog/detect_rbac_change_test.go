package auditlog

import (
	"strings"
	"testing"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

func TestRBACChangeOutsideWindow(t *testing.T) {
	const rbacGroup = "rbac.authorization.k8s.io"
	// t0 is Wednesday 2026-11-25 10:00 UTC.
	window := "detect:\n  maintenanceWindows:\n  - days: [Wed]\n    start: \"09:00\"\n    end: \"10:30\"\n"
	crb := map[string]any{"kind": "ClusterRoleBinding", "metadata": map[string]any{"name": "ops-admin"}}
	for _, tc := range []struct {
		name, cfg string
		e         E
		want      finding.Severity // -1: nothing
		msg       string
	}{
		{"no window configured", "", E{User: "alice", IP: "10.0.0.5", Verb: "create", Resource: "clusterrolebindings", Group: rbacGroup, Code: 201, Body: crb},
			finding.SeverityHigh, "alice created ClusterRoleBinding ops-admin at 2026-11-25T10:00:00Z from 10.0.0.5 (no maintenance window is configured)."},
		{"inside the window", window, E{User: "alice", Verb: "create", Resource: "clusterrolebindings", Group: rbacGroup, Code: 201, Body: crb}, -1, ""},
		{"outside the window", window, E{At: time.Hour, User: "alice", IP: "10.0.0.5", Verb: "delete", Resource: "rolebindings", Group: rbacGroup,
			NS: "shop", Name: "dev"}, finding.SeverityMedium, "alice deleted RoleBinding shop/dev at 2026-11-25T11:00:00Z from 10.0.0.5 outside the maintenance windows."},
		{"patch role", "", E{User: "bob", Verb: "patch", Resource: "roles", Group: rbacGroup, NS: "shop", Name: "dev"}, finding.SeverityMedium, ""},
		{"deletecollection", "", E{User: "bob", Verb: "deletecollection", Resource: "roles", Group: rbacGroup, NS: "shop"}, finding.SeverityMedium,
			"bob deleted all roles in shop"},
		{"controller manager", "", E{User: "system:kube-controller-manager", Verb: "update", Resource: "clusterroles", Group: rbacGroup, Name: "admin"}, -1, ""},
		{"kube-system SA", "", E{User: "system:serviceaccount:kube-system:clusterrole-aggregation-controller", Verb: "update",
			Resource: "clusterroles", Group: rbacGroup, Name: "edit"}, -1, ""},
		{"trusted GitOps", "detect:\n  trustedIdentities: [\"system:serviceaccount:argocd:*\"]\n", E{User: "system:serviceaccount:argocd:argocd-application-controller",
			Verb: "update", Resource: "roles", Group: rbacGroup, NS: "shop", Name: "dev"}, -1, ""},
		{"untrusted workload SA", "", E{User: "system:serviceaccount:shop:app", Verb: "create", Resource: "rolebindings", Group: rbacGroup, NS: "shop",
			Name: "x", Code: 201}, finding.SeverityMedium, ""},
		{"denied", "", E{User: "eve", Verb: "create", Resource: "clusterrolebindings", Group: rbacGroup, Name: "x", Code: 403}, -1, ""},
		{"read", "", E{User: "eve", Verb: "get", Resource: "clusterrolebindings", Group: rbacGroup, Name: "x"}, -1, ""},
		{"not final", "", E{User: "eve", Verb: "create", Resource: "clusterrolebindings", Group: rbacGroup, Name: "x", Stage: StageRequestReceived}, -1, ""},
		{"other group", "", E{User: "eve", Verb: "create", Resource: "roles", Group: "example.com", NS: "shop", Name: "x"}, -1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cfg = mustConfig(t, tc.cfg+"\n")
			fs := analyze(t, cfg, []E{tc.e}, checks.RuleAuditRBACChangeOutsideWin)
			if tc.want < 0 {
				if len(fs) != 0 {
					t.Fatalf("fired: %s", fs[0].Message)
				}
				return
			}
			if len(fs) != 1 || fs[0].Severity != tc.want || !strings.HasPrefix(fs[0].Message, tc.msg) {
				t.Fatalf("findings = %+v", fs)
			}
			if r := fs[0].Related; len(r) != 1 || r[0].Object != UserRef(tc.e.User) {
				t.Errorf("related = %+v", r)
			}
		})
	}
}
