package access_test

import (
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/access"
	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/scan"
)

// TestRBACRisks: only rbac- rules run (the privileged Deployment in the
// fixture gives no finding), each clear risk of the fixture is reported on
// its binding, and RBAC problems are warnings.
func TestRBACRisks(t *testing.T) {
	inv := loadRBAC(t, "testdata/rbac/risky.yaml")
	res, err := access.RBACRisks(inv, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rules) == 0 {
		t.Fatal("no rbac- rule ran: the catalogue has none")
	}
	for _, c := range res.Rules {
		if !strings.HasPrefix(string(c.ID), access.RBACRulePrefix) {
			t.Errorf("rule %s ran", c.ID)
		}
	}
	got := map[string]bool{}
	for _, f := range res.Findings {
		if !strings.HasPrefix(string(f.Rule), access.RBACRulePrefix) {
			t.Errorf("finding of a non-RBAC rule: %s on %s", f.Rule, f.Object)
		}
		got[string(f.Rule)+" "+f.Object.String()] = true
	}
	for _, want := range []string{
		"rbac-cluster-admin-binding ClusterRoleBinding/ci-admin",
		"rbac-secrets-read ClusterRoleBinding/backup-secrets",
		"rbac-wildcard RoleBinding/tools/anything",
		"rbac-binding-to-missing-role RoleBinding/tools/dangling",
	} {
		if !got[want] {
			t.Errorf("missing %q in %v", want, got)
		}
	}
	warned := false
	for _, d := range res.Diagnostics {
		if d.Warning && strings.Contains(d.Message, `roleRef ClusterRole "gone" does not exist`) && d.File == "testdata/rbac/risky.yaml" && d.Line > 0 {
			warned = true
		}
	}
	if !warned {
		t.Errorf("dangling roleRef is not a warning with file and line: %+v", res.Diagnostics)
	}
	if !res.Exceeds(finding.SeverityHigh) {
		t.Error("cluster-admin to a ServiceAccount is not high")
	}
}

// TestRBACOnlyConfigKeepsUserSettings: a user's choice about an RBAC rule
// stands; every other rule is off; the caller's configuration is untouched.
func TestRBACOnlyConfigKeepsUserSettings(t *testing.T) {
	cfg := loadConfig(t, "testdata/rbac/rbac-config.yaml")
	only := access.RBACOnlyConfig(cfg, nil)
	for _, c := range checks.Catalogue() {
		on := only.RuleEnabled(c.ID, !c.Disabled)
		switch {
		case c.ID == "rbac-wildcard" && on:
			t.Error("rbac-wildcard was turned off by the user")
		case !strings.HasPrefix(string(c.ID), access.RBACRulePrefix) && on:
			t.Errorf("%s is on", c.ID)
		}
	}
	if len(cfg.Rules) != 1 {
		t.Errorf("caller's configuration changed: %v", cfg.Rules)
	}
}
