package access

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/report"
)

// kcSecretMarker is in every made-up secret of the fixtures.
var kcSecretMarker = regexp.MustCompile(`TOPSECRET-[A-Z0-9-]+`)

// kcSecrets collects what must never be printed from the fixtures: the
// marked values, and the values of every credential field (base64 as
// written and decoded; for certificates, each line of the PEM body).
func kcSecrets(t *testing.T, files []string) []string {
	t.Helper()
	secretFields := map[string]bool{"token": true, "password": true, "client-key-data": true,
		"client-certificate-data": true, "id-token": true, "refresh-token": true, "client-secret": true}
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if len(s) >= 12 && !seen[s] && !strings.HasPrefix(s, "-----") {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range kcSecretMarker.FindAll(data, -1) {
			add(string(m))
		}
		var root yaml.Node
		if yaml.Unmarshal(data, &root) != nil {
			continue
		}
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			for i := 0; i < len(n.Content); i++ {
				c := n.Content[i]
				if n.Kind == yaml.MappingNode && i%2 == 0 && i+1 < len(n.Content) && secretFields[c.Value] {
					v := n.Content[i+1].Value
					add(v)
					if dec, err := base64.StdEncoding.DecodeString(v); err == nil {
						for _, line := range strings.Split(string(dec), "\n") {
							add(line)
						}
					}
				}
				walk(c)
			}
		}
		walk(&root)
	}
	if len(out) < 10 {
		t.Fatalf("only %d secrets found in the fixtures: the test would prove little", len(out))
	}
	return out
}

// TestKubeconfigNoSecretsInOutput renders the review of every fixture, and
// of broken files full of secrets, in every format: no token, password, key
// or certificate appears in the report or in an error.
func TestKubeconfigNoSecretsInOutput(t *testing.T) {
	dir := t.TempDir()
	broken := map[string]string{
		"dup.yaml":     "users:\n- name: a\n  user: {token: TOPSECRET-DUP-ONE-1}\n- name: a\n  user: {password: TOPSECRET-DUP-TWO-2}\n",
		"type.yaml":    "users:\n- name: a\n  user:\n    token: 1234567\n    password: TOPSECRET-TYPE-3\n    username: [TOPSECRET-TYPE-4]\n",
		"syntax.yaml":  "users:\n- name: a\n  user: {token: \"TOPSECRET-SYNTAX-5}\n",
		"cert.yaml":    "users:\n- name: a\n  user:\n    client-certificate-data: " + kcBase64("TOPSECRET-CERTDATA-6") + "\n",
		"badcert.yaml": "users:\n- name: a\n  user:\n    client-certificate-data: " + kcBase64("-----BEGIN CERTIFICATE-----\nVE9QU0VDUkVULUJBRENFUlQtNw==\n-----END CERTIFICATE-----\n") + "\n",
	}
	files := kcFixtureFiles(t)
	for name, data := range broken {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	secrets := kcSecrets(t, files)
	review := ReviewKubeconfigs(files, nil, kcNow)
	if len(review.Errors) < len(broken) {
		t.Fatalf("%d errors, want at least %d", len(review.Errors), len(broken))
	}
	for _, err := range review.Errors {
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error %q contains secret %q", err, s)
			}
		}
	}
	rep := review.Report(report.Tool{Name: "kharden", Version: "test"}, true)
	for _, format := range report.Formats() {
		var out bytes.Buffer
		if err := report.Render(&out, format, rep, report.Options{}); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		text := out.String()
		for _, id := range kubeconfigRuleIDs {
			if !strings.Contains(text, string(id)) {
				t.Errorf("%s output lacks rule %s: the test would prove little", format, id)
			}
		}
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s output contains secret %q", format, s)
			}
		}
	}
}

// TestReviewKubeconfigsConfig: .kharden.yaml turns rules off, overrides
// severities and suppresses findings by name, like for a scan.
func TestReviewKubeconfigsConfig(t *testing.T) {
	cfg, err := config.Parse([]byte(`
rules:
  kubeconfig-exec-credential: {enabled: false}
  kubeconfig-static-token: {severity: critical}
exceptions:
- rules: [kubeconfig-basic-auth]
  owner: platform
  reason: legacy cluster, decommissioned in Q3
  expires: "2099-01-01"
  scope: {kinds: [User], names: [admin]}
`))
	if err != nil {
		t.Fatal(err)
	}
	files := []string{filepath.Join(kcFixtureDir, "good-exec.yaml"), filepath.Join(kcFixtureDir, "static-token.yaml"),
		filepath.Join(kcFixtureDir, "basic-auth.yaml")}
	r := ReviewKubeconfigs(files, cfg, kcNow)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	counts := map[finding.RuleID]int{}
	for _, f := range r.Findings {
		counts[f.Rule]++
		switch f.Rule {
		case checks.RuleKubeconfigStaticToken:
			if f.Severity != finding.SeverityCritical || f.Suppressed != nil {
				t.Errorf("static token: severity %s, suppressed %v", f.Severity, f.Suppressed)
			}
		case checks.RuleKubeconfigBasicAuth:
			if f.Suppressed == nil || f.Suppressed.Owner != "platform" {
				t.Errorf("basic auth not suppressed: %+v", f)
			}
		}
		if f.Fingerprint == "" {
			t.Errorf("%s: no fingerprint", f.Rule)
		}
	}
	if counts[checks.RuleKubeconfigExecCredential] != 0 || counts[checks.RuleKubeconfigStaticToken] != 2 || counts[checks.RuleKubeconfigBasicAuth] != 1 {
		t.Errorf("findings per rule %v", counts)
	}
	for _, c := range r.Rules {
		if c.ID == checks.RuleKubeconfigExecCredential {
			t.Error("disabled rule listed in the report's rules")
		}
		if c.ID == checks.RuleKubeconfigStaticToken && c.Severity != finding.SeverityCritical {
			t.Error("report's rule metadata lacks the configured severity")
		}
	}
	if !r.Exceeds(finding.SeverityCritical) {
		t.Error("critical static token does not exceed critical")
	}
	if r.Entries != 7 {
		t.Errorf("%d entries audited, want 7", r.Entries)
	}
	// The catalogue itself is untouched by the configured severity.
	if c, _ := checks.Lookup(checks.Catalogue(), checks.RuleKubeconfigStaticToken); c.Severity != finding.SeverityHigh {
		t.Errorf("catalogue severity changed to %s", c.Severity)
	}
}
