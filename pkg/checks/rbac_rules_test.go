package checks_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// rbacDoc builders keep the severity table readable.
func rbacRole(kind, ns, name, rules string) string {
	meta := "  name: " + name + "\n"
	if ns != "" {
		meta += "  namespace: " + ns + "\n"
	}
	return "apiVersion: rbac.authorization.k8s.io/v1\nkind: " + kind + "\nmetadata:\n" + meta + "rules:\n" + rules
}

func rbacBinding(kind, ns, name, roleKind, role, subjects string) string {
	meta := "  name: " + name + "\n"
	if ns != "" {
		meta += "  namespace: " + ns + "\n"
	}
	return "apiVersion: rbac.authorization.k8s.io/v1\nkind: " + kind + "\nmetadata:\n" + meta +
		"subjects:\n" + subjects +
		"roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: " + roleKind + "\n  name: " + role + "\n"
}

func rbacDeployment(ns, name, sa string) string {
	return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\n" +
		"spec:\n  template:\n    spec:\n      serviceAccountName: " + sa + "\n      containers:\n      - name: app\n        image: app:1\n"
}

const (
	readSecrets        = "- apiGroups: [\"\"]\n  resources: [secrets]\n  verbs: [get, list]\n"
	readNamedSecret    = "- apiGroups: [\"\"]\n  resources: [secrets]\n  resourceNames: [db]\n  verbs: [get]\n"
	bindRoles          = "- apiGroups: [rbac.authorization.k8s.io]\n  resources: [clusterroles]\n  verbs: [bind]\n"
	mintNamedToken     = "- apiGroups: [\"\"]\n  resources: [serviceaccounts/token]\n  resourceNames: [vault]\n  verbs: [create]\n"
	saCI               = "- kind: ServiceAccount\n  name: ci\n  namespace: shop\n"
	groupDevs          = "- kind: Group\n  name: devs\n  apiGroup: rbac.authorization.k8s.io\n"
	groupShopSAs       = "- kind: Group\n  name: system:serviceaccounts:shop\n  apiGroup: rbac.authorization.k8s.io\n"
	groupOtherSAs      = "- kind: Group\n  name: system:serviceaccounts:other\n  apiGroup: rbac.authorization.k8s.io\n"
	groupAllSAs        = "- kind: Group\n  name: system:serviceaccounts\n  apiGroup: rbac.authorization.k8s.io\n"
	clusterRoleKind    = "ClusterRole"
	roleBindingKind    = "RoleBinding"
	clusterBindingKind = "ClusterRoleBinding"
)

func rbacYAML(docs ...string) string { return strings.Join(docs, "---\n") }

// TestRBACSeverity: the base severity is raised for a cluster-wide binding
// and for a subject a workload runs as, lowered for a names-limited grant,
// and capped at critical.
func TestRBACSeverity(t *testing.T) {
	secretRole := rbacRole(clusterRoleKind, "", "reader", readSecrets)
	cases := []struct {
		name string
		rule finding.RuleID
		yaml string
		want finding.Severity
	}{
		{"namespaced, group", rbac.RiskSecretsRead,
			rbacYAML(secretRole, rbacBinding(roleBindingKind, "shop", "b", clusterRoleKind, "reader", groupDevs)), finding.SeverityMedium},
		{"cluster-wide, group", rbac.RiskSecretsRead,
			rbacYAML(secretRole, rbacBinding(clusterBindingKind, "", "b", clusterRoleKind, "reader", groupDevs)), finding.SeverityHigh},
		{"namespaced, ServiceAccount of a workload", rbac.RiskSecretsRead,
			rbacYAML(secretRole, rbacBinding(roleBindingKind, "shop", "b", clusterRoleKind, "reader", saCI), rbacDeployment("shop", "web", "ci")), finding.SeverityHigh},
		{"namespaced, ServiceAccount no workload runs as", rbac.RiskSecretsRead,
			rbacYAML(secretRole, rbacBinding(roleBindingKind, "shop", "b", clusterRoleKind, "reader", saCI), rbacDeployment("shop", "web", "web")), finding.SeverityMedium},
		{"cluster-wide, ServiceAccount of a workload", rbac.RiskSecretsRead,
			rbacYAML(secretRole, rbacBinding(clusterBindingKind, "", "b", clusterRoleKind, "reader", saCI), rbacDeployment("shop", "web", "ci")), finding.SeverityCritical},
		{"names-limited", rbac.RiskSecretsRead,
			rbacYAML(rbacRole("Role", "shop", "db", readNamedSecret), rbacBinding(roleBindingKind, "shop", "b", "Role", "db", groupDevs)), finding.SeverityLow},
		{"names-limited, cluster-wide, workload", rbac.RiskSecretsRead,
			rbacYAML(rbacRole(clusterRoleKind, "", "db", readNamedSecret), rbacBinding(clusterBindingKind, "", "b", clusterRoleKind, "db", saCI), rbacDeployment("shop", "web", "ci")), finding.SeverityHigh},
		{"group of the namespace's ServiceAccounts, workload in it", rbac.RiskSecretsRead,
			rbacYAML(secretRole, rbacBinding(roleBindingKind, "shop", "b", clusterRoleKind, "reader", groupShopSAs), rbacDeployment("shop", "web", "web")), finding.SeverityHigh},
		{"group of another namespace's ServiceAccounts", rbac.RiskSecretsRead,
			rbacYAML(secretRole, rbacBinding(roleBindingKind, "shop", "b", clusterRoleKind, "reader", groupOtherSAs), rbacDeployment("shop", "web", "web")), finding.SeverityMedium},
		{"group of every ServiceAccount, cluster-wide", rbac.RiskSecretsRead,
			rbacYAML(secretRole, rbacBinding(clusterBindingKind, "", "b", clusterRoleKind, "reader", groupAllSAs), rbacDeployment("other", "web", "web")), finding.SeverityCritical},
		{"high base capped at critical", rbac.RiskEscalate,
			rbacYAML(rbacRole(clusterRoleKind, "", "binder", bindRoles), rbacBinding(clusterBindingKind, "", "b", clusterRoleKind, "binder", saCI), rbacDeployment("shop", "web", "ci")), finding.SeverityCritical},
		{"names-limited token minting", rbac.RiskTokenCreate,
			rbacYAML(rbacRole("Role", "shop", "mint", mintNamedToken), rbacBinding(roleBindingKind, "shop", "b", "Role", "mint", groupDevs)), finding.SeverityLow},
		{"dangling, namespaced", rbac.RiskBindingToMissingRole,
			rbacBinding(roleBindingKind, "shop", "b", "Role", "gone", groupDevs), finding.SeverityLow},
		{"dangling, cluster-wide", rbac.RiskBindingToMissingRole,
			rbacBinding(clusterBindingKind, "", "b", clusterRoleKind, "gone", groupDevs), finding.SeverityMedium},
		{"cluster-admin not in the inventory, workload", rbac.RiskClusterAdminBinding,
			rbacYAML(rbacBinding(clusterBindingKind, "", "b", clusterRoleKind, "cluster-admin", saCI), rbacDeployment("shop", "web", "ci")), finding.SeverityCritical},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := findingsOf(t, lookupRule(t, tc.rule), writeFixture(t, tc.yaml))
			if len(got) != 1 {
				t.Fatalf("want one %s finding, got %d", tc.rule, len(got))
			}
			if got[0].Severity != tc.want {
				t.Errorf("severity %s, want %s (%s)", got[0].Severity, tc.want, got[0].Message)
			}
		})
	}
}

// TestRBACRelatedChain pins the message and the related objects of one
// finding: subject, role, granting rule, workload.
func TestRBACRelatedChain(t *testing.T) {
	got := findingsOf(t, lookupRule(t, rbac.RiskSecretsRead), "testdata/rbac-secrets-read/fail/rolebinding-role-used-by-workload.yaml")
	if len(got) != 1 {
		t.Fatalf("want one finding, got %d", len(got))
	}
	f := got[0]
	wantMsg := "ServiceAccount shop/ci can get, list secrets in namespace shop via RoleBinding shop/ci-secrets -> " +
		"Role secret-reader (rule 1: get,list secrets); Deployment shop/web runs as ServiceAccount shop/ci"
	if f.Message != wantMsg {
		t.Errorf("message\n got %q\nwant %q", f.Message, wantMsg)
	}
	if f.Path != "roleRef" || f.Object.Kind != "RoleBinding" || f.Object.Name != "ci-secrets" {
		t.Errorf("finding on %s at %q, want RoleBinding ci-secrets at roleRef", f.Object, f.Path)
	}
	role := finding.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role", Namespace: "shop", Name: "secret-reader"}
	want := []finding.Related{
		{Role: "subject", Object: finding.ObjectRef{APIVersion: "v1", Kind: "ServiceAccount", Namespace: "shop", Name: "ci"}},
		{Role: "role", Object: role},
		{Role: "rule", Object: role, Detail: "rule 1: get,list secrets"},
		{Role: "workload", Object: finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}},
	}
	if !reflect.DeepEqual(f.Related, want) {
		t.Errorf("related\n got %+v\nwant %+v", f.Related, want)
	}

	// A rule reached through aggregation names the ClusterRole it came from.
	got = findingsOf(t, lookupRule(t, rbac.RiskSecretsRead), "testdata/rbac-secrets-read/fail/aggregated-clusterrole.yaml")
	if len(got) != 1 {
		t.Fatalf("aggregated: want one finding, got %d", len(got))
	}
	var rules []string
	for _, r := range got[0].Related {
		if r.Role == "rule" {
			rules = append(rules, r.Detail)
		}
	}
	if wantRules := []string{"rule 2: get,list,watch secrets (from ClusterRole/platform-reader-secrets)"}; !reflect.DeepEqual(rules, wantRules) {
		t.Errorf("aggregated rules %q, want %q", rules, wantRules)
	}
}

// TestRBACAnonymousNamesOnlyAnonymousSubjects: the finding is about the
// unauthenticated subjects, at subjects.
func TestRBACAnonymousNamesOnlyAnonymousSubjects(t *testing.T) {
	got := findingsOf(t, lookupRule(t, rbac.RiskAnonymousAccess), "testdata/rbac-anonymous-access/fail/unauthenticated-group-in-namespace.yaml")
	if len(got) != 1 {
		t.Fatalf("want one finding, got %d", len(got))
	}
	f := got[0]
	if f.Path != "subjects" || !strings.HasPrefix(f.Message, "Group system:unauthenticated (any request without credentials) can use ClusterRole view in namespace public") {
		t.Errorf("got %q at %q", f.Message, f.Path)
	}
	for _, r := range f.Related {
		if r.Role == "subject" && r.Object.Name != rbac.GroupUnauthenticated {
			t.Errorf("related subject %s is not anonymous", r.Object)
		}
	}
}

func lookupRule(t *testing.T, id finding.RuleID) *checks.Check {
	t.Helper()
	c, ok := checks.Lookup(checks.Catalogue(), id)
	if !ok {
		t.Fatalf("rule %s not in the catalogue", id)
	}
	return c
}

func writeFixture(t *testing.T, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fixture.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
