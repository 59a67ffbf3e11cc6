package access_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kharden/kharden/pkg/access"
	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
)

var reviewNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func loadConfig(t *testing.T, path string) *config.Config {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestReviewBreakGlass(t *testing.T) {
	inv := loadRBAC(t, "testdata/review/cluster.yaml")
	r := access.ReviewAccess(inv, loadConfig(t, "testdata/review/kharden.yaml"), reviewNow)

	var admins []string
	for _, h := range r.ClusterAdmins {
		s := h.Kind + ":" + h.Namespace + "/" + h.Name
		if h.BreakGlass {
			s += " (break-glass)"
		}
		if h.Privileged {
			s += " (privileged)"
		}
		admins = append(admins, s)
	}
	wantAdmins := []string{"Group:/system:masters (privileged)", "User:/alice@example.com", "Group:/oncall-breakglass (break-glass)",
		"Group:/platform-team", "ServiceAccount:kube-system/installer"}
	if !reflect.DeepEqual(admins, wantAdmins) {
		t.Errorf("cluster admins\n got %q\nwant %q", admins, wantAdmins)
	}
	if len(r.ClusterAdmins[0].Via) != 1 || r.ClusterAdmins[0].Via[0].Binding.Name != "installer" {
		t.Errorf("system:masters via %+v", r.ClusterAdmins[0].Via)
	}

	// One finding, on the binding, naming both people; not the break-glass
	// group, the ServiceAccount or system:masters.
	if len(r.Findings) != 1 {
		t.Fatalf("findings %+v", r.Findings)
	}
	f := r.Findings[0]
	if f.Rule != checks.RuleAccessClusterAdminOutsideBreakGlass || f.Severity != finding.SeverityHigh ||
		f.Object.Kind != "ClusterRoleBinding" || f.Object.Name != "platform-admins" || f.Fingerprint == "" {
		t.Errorf("finding %+v", f)
	}
	if f.Source == nil || f.Source.File != "testdata/review/cluster.yaml" || f.Source.Line == 0 {
		t.Errorf("source %+v", f.Source)
	}
	var related []string
	for _, rel := range f.Related {
		related = append(related, rel.Role+" "+rel.Object.Kind+"/"+rel.Object.Name)
	}
	if want := []string{"role ClusterRole/everything", "subject User/alice@example.com", "subject Group/platform-team"}; !reflect.DeepEqual(related, want) {
		t.Errorf("related %q, want %q", related, want)
	}
	if !strings.Contains(strings.Join(r.Warnings, "\n"), `break-glass group "emergency-admins" is not named by any binding`) {
		t.Errorf("warnings %q", r.Warnings)
	}
	if r.Exceeds(finding.SeverityCritical) || !r.Exceeds(finding.SeverityHigh) {
		t.Error("Exceeds")
	}
}

func TestReviewWithoutBreakGlassGroups(t *testing.T) {
	inv := loadRBAC(t, "testdata/review/cluster.yaml")
	r := access.ReviewAccess(inv, nil, reviewNow)
	if len(r.Findings) != 0 {
		t.Errorf("findings without breakGlassGroups: %+v", r.Findings)
	}
	if len(r.ClusterAdmins) != 5 {
		t.Errorf("cluster admins %+v", r.ClusterAdmins)
	}
}

func TestReviewExceptionSuppresses(t *testing.T) {
	inv := loadRBAC(t, "testdata/review/cluster.yaml")
	r := access.ReviewAccess(inv, loadConfig(t, "testdata/review/suppressed.yaml"), reviewNow)
	if len(r.Findings) != 1 || r.Findings[0].Suppressed == nil || r.Exceeds(finding.SeverityInfo) {
		t.Errorf("findings %+v", r.Findings)
	}
}

func TestReviewGroupStyles(t *testing.T) {
	inv := loadRBAC(t, "testdata/review/cluster.yaml")
	r := access.ReviewAccess(inv, nil, reviewNow)
	var got []string
	for _, g := range r.Groups {
		got = append(got, string(g.Style)+" "+g.Name+" "+strings.Join(g.Namespaces, ","))
	}
	want := []string{
		"admin oncall-breakglass *",
		"admin platform-team *",
		"admin system:masters *",
		"security security-team *",
		"ops sre *",
		"dev shop-devs cart,shop",
		"other config-editors shop",
		"read-only auditors *",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("groups\n got %q\nwant %q", got, want)
	}
}

func TestReviewOutputs(t *testing.T) {
	inv := loadRBAC(t, "testdata/review/cluster.yaml")
	r := access.ReviewAccess(inv, loadConfig(t, "testdata/review/kharden.yaml"), reviewNow)
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"clusterAdmins", "findings", "groups", "warnings"} {
		if len(m[k]) == 0 || m[k][0] != '[' {
			t.Errorf("%s is not an array: %s", k, m[k])
		}
	}
	var out strings.Builder
	if err := r.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Cluster-admin equivalent rights:", "oncall-breakglass (break-glass)",
		"HIGH  access-cluster-admin-outside-break-glass", "testdata/review/cluster.yaml:", "STYLE", "cart,shop"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("table lacks %q:\n%s", w, out.String())
		}
	}
}

// TestAccessRulesFire is the meta-test of the review's rules: each is in
// the check catalogue's shape and fires on the review fixture.
func TestAccessRulesFire(t *testing.T) {
	rules := checks.AccessRules()
	if len(rules) == 0 {
		t.Fatal("no access review rules")
	}
	if err := checks.Validate(rules); err != nil {
		t.Fatal(err)
	}
	inv := loadRBAC(t, "testdata/review/cluster.yaml")
	r := access.ReviewAccess(inv, loadConfig(t, "testdata/review/kharden.yaml"), reviewNow)
	fired := map[finding.RuleID]bool{}
	for _, f := range r.Findings {
		fired[f.Rule] = true
	}
	for _, c := range rules {
		if c.Engine != checks.EngineAnalysis || c.Command != checks.AccessReviewCommand {
			t.Errorf("%s: engine %s, command %q", c.ID, c.Engine, c.Command)
		}
		if !fired[c.ID] {
			t.Errorf("%s never fires on testdata/review", c.ID)
		}
	}
}
