package checks_test

import (
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/finding"
)

// TestTokenAutomountedWithRBAC: with RBAC objects in the scan, the finding
// says what the token is worth and is raised when it reads secrets or
// creates workloads.
func TestTokenAutomountedWithRBAC(t *testing.T) {
	const dir = "testdata/service-account-token-automounted/"
	noPerms := "the ServiceAccount has no API permissions: the token is not needed, disable it"
	cases := []struct {
		file    string
		sev     finding.Severity
		has     string
		hasNot  string
		related int
	}{
		{"fail/rbac-no-permissions.yaml", finding.SeverityMedium, noPerms, "its ServiceAccount can", 0},
		{"fail/rbac-reads-secrets.yaml", finding.SeverityHigh, "its ServiceAccount can get, list secrets in namespace shop (via RoleBinding shop/ci-secrets)", noPerms, 1},
		{"fail/rbac-creates-deployments-cluster-wide.yaml", finding.SeverityHigh, "can create deployments.apps in namespace ci (via ClusterRoleBinding deployer)", noPerms, 1},
		// Bound to edit, which manifests do not ship but every API server
		// has: it reads secrets and creates pods.
		{"fail/rbac-bound-to-default-role.yaml", finding.SeverityHigh, "its ServiceAccount can get, list secrets and create pods and create deployments.apps in namespace shop (via RoleBinding shop/editor)", noPerms, 1},
		// No RBAC objects at all: nothing is known, nothing is claimed.
		{"fail/deployment-default-sa.yaml", finding.SeverityMedium, "the pod gets an API token", noPerms, 0},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			got := findingsOf(t, lookupRule(t, "service-account-token-automounted"), dir+tc.file)
			if len(got) != 1 {
				t.Fatalf("want one finding, got %d", len(got))
			}
			f := got[0]
			if f.Severity != tc.sev {
				t.Errorf("severity %s, want %s", f.Severity, tc.sev)
			}
			if !strings.Contains(f.Message, tc.has) || strings.Contains(f.Message, tc.hasNot) {
				t.Errorf("message %q: want %q, not %q", f.Message, tc.has, tc.hasNot)
			}
			if len(f.Related) != tc.related {
				t.Errorf("related %+v, want %d", f.Related, tc.related)
			}
		})
	}
}
