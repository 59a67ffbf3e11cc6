package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

const (
	reviewFixture = "../../pkg/access/testdata/review/cluster.yaml"
	reviewConfig  = "../../pkg/access/testdata/review/kharden.yaml"
)

// accessReviewJSON is the shape of `access review -o json`.
type accessReviewJSON struct {
	ClusterAdmins []struct {
		Kind, Name, Namespace  string
		Privileged, BreakGlass bool
		Via                    []struct {
			Binding        struct{ Kind, Namespace, Name string }
			Role           struct{ Kind, Namespace, Name string }
			Rule           int
			RuleText       string
			AggregatedFrom string
		}
	}
	Findings []struct {
		Rule     string
		Severity string
		Object   struct{ Kind, Name string }
		Related  []struct {
			Role   string
			Object struct{ Kind, Name string }
		}
	}
	Groups []struct {
		Name, Style string
		Namespaces  []string
	}
	BreakGlassGroups []string
	Warnings         []string
}

func TestAccessReviewJSON(t *testing.T) {
	noKubeconfig(t)
	code, stdout, stderr := run(t, "", "access", "review", reviewFixture, "--config", reviewConfig, "-o", "json", "--fail-on", "high")
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, ExitFindings, stderr)
	}
	var r accessReviewJSON
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(r.ClusterAdmins) != 5 || r.ClusterAdmins[0].Name != "system:masters" || !r.ClusterAdmins[0].Privileged {
		t.Errorf("cluster admins %+v", r.ClusterAdmins)
	}
	if len(r.Findings) != 1 || r.Findings[0].Rule != "access-cluster-admin-outside-break-glass" || r.Findings[0].Severity != "high" ||
		r.Findings[0].Object.Name != "platform-admins" {
		t.Errorf("findings %+v", r.Findings)
	}
	styles := map[string]string{}
	for _, g := range r.Groups {
		styles[g.Name] = g.Style + " " + strings.Join(g.Namespaces, ",")
	}
	for name, want := range map[string]string{"shop-devs": "dev cart,shop", "sre": "ops *", "security-team": "security *",
		"auditors": "read-only *", "platform-team": "admin *"} {
		if styles[name] != want {
			t.Errorf("%s: %q, want %q", name, styles[name], want)
		}
	}
	if !strings.Contains(stderr, `Warning: break-glass group "emergency-admins"`) {
		t.Errorf("stderr:\n%s", stderr)
	}
}

func TestAccessReviewTableAndUsage(t *testing.T) {
	noKubeconfig(t)
	code, stdout, stderr := run(t, "", "access", "review", "-f", reviewFixture)
	if code != ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"Cluster-admin equivalent rights:", "Break-glass groups: none configured", "Groups by the style"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	for _, args := range [][]string{
		{"access", "review", reviewFixture, "-o", "sarif"},
		{"access", "review", reviewFixture, "--fail-on", "never"},
		{"access", "review", reviewFixture, "--config", "testdata/does-not-exist.yaml"},
		{"access", "review"},
	} {
		if code, _, stderr := run(t, "", args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d; stderr:\n%s", args, code, ExitUsage, stderr)
		}
	}
}
