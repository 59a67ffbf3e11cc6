package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

const (
	rbacFixture      = "../../pkg/access/testdata/rbac/cluster.yaml"
	rbacRiskyFixture = "../../pkg/access/testdata/rbac/risky.yaml"
	rbacMalformed    = "../../pkg/access/testdata/rbac/malformed.yaml"
	// rbacSecretValue is the value of the Secret in rbacFixture.
	rbacSecretValue = "kh-SECRET-VALUE-7f3a9c"
)

// whoCanJSON is the shape of `rbac who-can -o json`.
type whoCanJSON struct {
	Request struct {
		Verb, APIGroup, Resource, Subresource, Namespace, Name, Path string
	}
	Subjects []struct {
		Kind       string
		Name       string
		Namespace  *string
		Privileged bool
		Namespaces []string
		Via        []struct {
			Binding        struct{ Kind, Namespace, Name string }
			Role           struct{ Kind, Namespace, Name string }
			Rule           int
			RuleText       string
			AggregatedFrom string
		}
	}
	AllNamespaces bool
	Warnings      []string
}

func parseWhoCan(t *testing.T, stdout string) whoCanJSON {
	t.Helper()
	var a whoCanJSON
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("output is not the who-can JSON: %v\n%s", err, stdout)
	}
	return a
}

func TestRBACWhoCanJSON(t *testing.T) {
	noKubeconfig(t)
	code, stdout, stderr := run(t, "", "rbac", "who-can", "list", "secrets", "-n", "shop", "-f", rbacFixture, "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	a := parseWhoCan(t, stdout)
	if a.Request.Verb != "list" || a.Request.Resource != "secrets" || a.Request.Namespace != "shop" {
		t.Errorf("request %+v", a.Request)
	}
	var got []string
	for _, s := range a.Subjects {
		ns := "-"
		if s.Namespace != nil {
			ns = *s.Namespace
		}
		if (s.Namespace != nil) != (s.Kind == "ServiceAccount") {
			t.Errorf("namespace is for ServiceAccounts only: %+v", s)
		}
		got = append(got, s.Kind+" "+ns+" "+s.Name)
		if s.Name == "auditors" {
			v := s.Via[0]
			if v.Binding.Kind != "ClusterRoleBinding" || v.Binding.Name != "auditors" || v.Role.Name != "secret-auditor" ||
				v.Rule != 2 || v.RuleText != "get,list,watch secrets" || v.AggregatedFrom != "ClusterRole/secret-auditor-secrets" {
				t.Errorf("auditors via %+v", v)
			}
		}
		if s.Kind == "ServiceAccount" {
			t.Errorf("the ServiceAccount may get, not list: %+v", s)
		}
	}
	want := "Group - system:masters,User - carol,Group - auditors"
	if strings.Join(got, ",") != want {
		t.Errorf("subjects %q, want %q", strings.Join(got, ","), want)
	}
	if !a.Subjects[0].Privileged {
		t.Error("system:masters is not marked privileged")
	}
	if len(a.Warnings) == 0 || !strings.Contains(stderr, "Warning:") {
		t.Errorf("the dangling binding is not a warning: %q / %q", a.Warnings, stderr)
	}
}

func TestRBACWhoCanAllNamespacesAndTable(t *testing.T) {
	noKubeconfig(t)
	code, stdout, stderr := run(t, "", "rbac", "who-can", "get", "secrets", "-A", "-f", rbacFixture, "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	where := map[string]string{}
	for _, s := range parseWhoCan(t, stdout).Subjects {
		where[s.Name] = strings.Join(s.Namespaces, ",")
	}
	for name, want := range map[string]string{"system:masters": "*", "carol": "*", "bob": "billing", "ci": "shop", "shop-devs": "shop"} {
		if where[name] != want {
			t.Errorf("%s may in %q, want %q (all: %v)", name, where[name], want, where)
		}
	}
	code, stdout, _ = run(t, "", "rbac", "who-can", "get", "deploy", "-n", "billing", "-f", rbacFixture)
	if code != ExitOK || !strings.Contains(stdout, "RoleBinding/billing/billing-deployers -> ClusterRole/deployer rule 1: get,list,create,update,patch deployments.apps") {
		t.Errorf("exit %d, table:\n%s", code, stdout)
	}
}

func TestRBACCanJSON(t *testing.T) {
	noKubeconfig(t)
	code, stdout, stderr := run(t, "", "rbac", "can", "system:serviceaccount:shop:ci", "-f", rbacFixture, "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	var a struct {
		Subject struct {
			Kind, Name, Namespace string
			Groups                []string
		}
		Privileged   bool
		ClusterAdmin bool
		Namespaces   []struct {
			Namespace string
			Rules     []struct {
				Verbs, APIGroups, Resources, ResourceNames, NonResourceURLs []string
				Via                                                         struct {
					Binding        struct{ Kind, Namespace, Name string }
					Role           struct{ Kind, Namespace, Name string }
					Rule           int
					RuleText       string
					AggregatedFrom string
				}
			}
		}
		Warnings []string
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if a.Subject.Kind != "ServiceAccount" || a.Subject.Namespace != "shop" || a.Subject.Name != "ci" || len(a.Subject.Groups) != 3 {
		t.Errorf("subject %+v", a.Subject)
	}
	if len(a.Namespaces) != 2 || a.Namespaces[0].Namespace != "" || a.Namespaces[1].Namespace != "shop" {
		t.Fatalf("namespaces %+v", a.Namespaces)
	}
	if len(a.Namespaces[1].Rules) != 3 || a.Namespaces[0].Rules[0].NonResourceURLs[0] != "/healthz" {
		t.Errorf("rules %+v", a.Namespaces)
	}
}

func TestRBACUsageErrors(t *testing.T) {
	noKubeconfig(t)
	cases := []struct {
		name string
		args []string
		msg  string
	}{
		{"unknown subject kind", []string{"rbac", "can", "Role:admin", "-f", rbacFixture}, `unknown subject kind "Role"`},
		{"service account without namespace", []string{"rbac", "can", "ServiceAccount:ci", "-f", rbacFixture}, "ServiceAccount:NAMESPACE/NAME"},
		{"group on a group", []string{"rbac", "can", "Group:a", "--group", "b", "-f", rbacFixture}, "--group applies to users only"},
		{"control characters", []string{"rbac", "can", "al\x1b[31mice", "-f", rbacFixture}, "control characters"},
		{"who-can one argument", []string{"rbac", "who-can", "get", "-f", rbacFixture}, "accepts 2 arg(s)"},
		{"who-can -n and -A", []string{"rbac", "who-can", "get", "pods", "-n", "a", "-A", "-f", rbacFixture}, "exclude each other"},
		{"URL with namespace", []string{"rbac", "who-can", "get", "/healthz", "-n", "a", "-f", rbacFixture}, "takes no namespace"},
		{"two subresources", []string{"rbac", "who-can", "get", "pods/log/x", "-f", rbacFixture}, "at most one subresource"},
		{"bad output", []string{"rbac", "who-can", "get", "pods", "-f", rbacFixture, "-o", "yaml"}, "unknown output format"},
		{"no input", []string{"rbac", "who-can", "get", "pods"}, "no input"},
		{"missing file", []string{"rbac", "can", "alice", "-f", "testdata/does-not-exist.yaml"}, "does-not-exist.yaml"},
		{"file that does not parse", []string{"rbac", "who-can", "get", "pods", "-f", "testdata/bad.yaml"}, "testdata/bad.yaml:"},
		{"risks bad format", []string{"rbac", "risks", rbacRiskyFixture, "-o", "yaml"}, "unknown output format"},
		{"risks bad severity", []string{"rbac", "risks", rbacRiskyFixture, "--fail-on", "severe"}, "--fail-on"},
		{"cluster and files", []string{"rbac", "risks", rbacRiskyFixture, "--cluster"}, "give no files"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := run(t, "", c.args...)
			if code != ExitUsage || !strings.Contains(stderr, c.msg) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, stderr, c.msg)
			}
			if strings.Contains(stderr, "\x1b") {
				t.Errorf("stderr carries a raw escape: %q", stderr)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine") {
				t.Errorf("panic: %s", stderr)
			}
		})
	}
}

// TestRBACWarningsAreNotErrors: an unknown resource and malformed RBAC
// objects are warnings; the answer is printed and the exit code is 0.
func TestRBACWarningsAreNotErrors(t *testing.T) {
	noKubeconfig(t)
	code, stdout, stderr := run(t, "", "rbac", "who-can", "get", "frobnicators", "-n", "shop", "-f", rbacFixture, "-o", "json")
	if code != ExitOK || !strings.Contains(stderr, `Warning: resource "frobnicators" is not known`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if a := parseWhoCan(t, stdout); !strings.Contains(strings.Join(a.Warnings, "\n"), "frobnicators") {
		t.Errorf("JSON warnings %q", a.Warnings)
	}
	code, stdout, stderr = run(t, "", "rbac", "can", "erin", "-f", rbacMalformed)
	if code != ExitOK || !strings.Contains(stderr, "malformed.yaml:3: ClusterRole/broken-rules: rules: want a list of rules") ||
		!strings.Contains(stdout, "list configmaps") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

func TestRBACRisksCommand(t *testing.T) {
	noKubeconfig(t)
	code, stdout, stderr := run(t, "", "rbac", "risks", rbacRiskyFixture, "-o", "json", "--fail-on", "high")
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, ExitFindings, stderr)
	}
	var rep struct {
		Findings []struct {
			Rule   string
			Object struct{ Kind, Namespace, Name string }
		}
	}
	if err := json.NewDecoder(strings.NewReader(stdout)).Decode(&rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	rules := map[string]bool{}
	for _, f := range rep.Findings {
		if !strings.HasPrefix(f.Rule, "rbac-") {
			t.Errorf("non-RBAC finding %+v", f)
		}
		rules[f.Rule+" "+f.Object.Name] = true
	}
	for _, want := range []string{"rbac-cluster-admin-binding ci-admin", "rbac-secrets-read backup-secrets", "rbac-binding-to-missing-role dangling"} {
		if !rules[want] {
			t.Errorf("missing %s in %v", want, rules)
		}
	}
	if !strings.Contains(stderr, `Warning: `) || !strings.Contains(stderr, `roleRef ClusterRole "gone" does not exist`) {
		t.Errorf("RBAC problems are not warnings on stderr:\n%s", stderr)
	}
	for _, format := range []string{"table", "sarif", "junit", "markdown"} {
		if code, _, stderr := run(t, "", "rbac", "risks", "-f", rbacRiskyFixture, "-o", format); code != ExitOK {
			t.Errorf("-o %s: exit %d\n%s", format, code, stderr)
		}
	}
}

// TestRBACSecretValuesNeverPrinted: the fixture holds a Secret; no command,
// in no format, prints its value.
func TestRBACSecretValuesNeverPrinted(t *testing.T) {
	noKubeconfig(t)
	runs := [][]string{
		{"rbac", "who-can", "get", "secrets", "-n", "shop", "-f", rbacFixture},
		{"rbac", "who-can", "get", "secrets", "-A", "-f", rbacFixture, "-o", "json"},
		{"rbac", "can", "sa:shop/ci", "-f", rbacFixture},
		{"rbac", "can", "sa:shop/ci", "-f", rbacFixture, "-o", "json"},
		{"access", "review", rbacFixture},
		{"access", "review", rbacFixture, "-o", "json"},
	}
	for _, f := range []string{"table", "json", "sarif", "junit", "markdown"} {
		runs = append(runs, []string{"rbac", "risks", rbacFixture, "-o", f})
	}
	for _, args := range runs {
		_, stdout, stderr := run(t, "", args...)
		if strings.Contains(stdout+stderr, rbacSecretValue) {
			t.Errorf("%v printed the Secret's value", args)
		}
	}
	// A token in the kubeconfig is not echoed when the cluster cannot be
	// reached.
	const token = "kh-TOKEN-VALUE-1b2c3d"
	kc := writeKubeconfig(t, closedAddress(t), nil, token)
	for _, args := range [][]string{
		{"rbac", "who-can", "get", "pods", "--kubeconfig", kc, "--request-timeout", "2s"},
		{"rbac", "can", "alice", "--kubeconfig", kc, "--request-timeout", "2s", "-o", "json"},
		{"access", "review", "--cluster", "--kubeconfig", kc, "--request-timeout", "2s"},
		{"rbac", "risks", "--cluster", "--kubeconfig", kc, "--token", token, "--request-timeout", "2s"},
	} {
		code, stdout, stderr := run(t, "", args...)
		if code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", args[:2], code, ExitUsage)
		}
		if strings.Contains(stdout+stderr, token) {
			t.Errorf("%v printed the token", args[:2])
		}
	}
}
