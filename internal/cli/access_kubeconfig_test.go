package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// runAccessKubeconfigTree runs `kharden access kubeconfig ARGS...` on a
// command tree of its own (the access parent is wired in root.go by the
// lead) and maps the error to an exit code the way Main does.
func runAccessKubeconfigTree(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := &cobra.Command{Use: "kharden", SilenceUsage: true, SilenceErrors: true}
	accessCmd := &cobra.Command{Use: "access"}
	accessCmd.AddCommand(newAccessKubeconfigCommand(&out, &errOut))
	root.AddCommand(accessCmd)
	root.SetArgs(append([]string{"access", "kubeconfig"}, args...))
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.Execute()
	code = ExitOK
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
			if ee.err != nil {
				errOut.WriteString("Error: " + ee.err.Error() + "\n")
			}
		} else {
			code = ExitUsage
			errOut.WriteString("Error: " + err.Error() + "\n")
		}
	}
	return code, out.String(), errOut.String()
}

// Kubeconfigs of the CLI tests. The made-up secrets all contain TOPSECRET.
const (
	accessTokenKubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: http://admin:TOPSECRET-URL-PASSWORD@prod.example.com:8080
users:
- name: ci
  user:
    token: eyJhbGciOiJSUzI1NiJ9.TOPSECRET-CLI-TOKEN.c2ln
- name: old-admin
  user:
    username: admin
    password: TOPSECRET-CLI-PASSWORD
`
	accessGoodKubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://prod.example.com
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
users:
- name: alice
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: kubelogin
      env: [{name: SECRET, value: TOPSECRET-CLI-EXEC-ENV}]
- name: bob
  user:
    auth-provider:
      name: oidc
      config: {id-token: TOPSECRET-CLI-ID-TOKEN, refresh-token: TOPSECRET-CLI-REFRESH}
`
	// client-go's own error for duplicate names prints every entry.
	accessBrokenKubeconfig = `users:
- name: x
  user: {token: TOPSECRET-CLI-DUP-1}
- name: x
  user: {token: TOPSECRET-CLI-DUP-2}
`
)

// accessWriteKubeconfigs writes the test kubeconfigs into a fresh
// directory and returns their paths by name.
func accessWriteKubeconfigs(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	paths := map[string]string{}
	for name, data := range map[string]string{"token.yaml": accessTokenKubeconfig, "good.yaml": accessGoodKubeconfig,
		"broken.yaml": accessBrokenKubeconfig} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}
	return paths
}

// accessNoDefaultKubeconfig makes sure the machine's own kubeconfig is never
// read.
func accessNoDefaultKubeconfig(t *testing.T) {
	t.Helper()
	t.Setenv("KUBECONFIG", "")
	t.Setenv("HOME", t.TempDir())
}

func TestAccessKubeconfigExitCodes(t *testing.T) {
	accessNoDefaultKubeconfig(t)
	p := accessWriteKubeconfigs(t)
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"findings without --fail-on", []string{p["token.yaml"]}, ExitOK},
		{"findings at --fail-on", []string{p["token.yaml"], "--fail-on", "high"}, ExitFindings},
		{"good file under --fail-on low", []string{p["good.yaml"], "--fail-on", "low"}, ExitOK},
		{"the good case is info", []string{p["good.yaml"], "--fail-on", "info"}, ExitFindings},
		{"broken file", []string{p["broken.yaml"], p["good.yaml"]}, ExitUsage},
		{"missing file", []string{missing}, ExitUsage},
		{"no kubeconfig anywhere", nil, ExitUsage},
		{"bad format", []string{p["good.yaml"], "-o", "yaml"}, ExitUsage},
		{"bad severity", []string{p["good.yaml"], "--fail-on", "severe"}, ExitUsage},
		{"missing config file", []string{p["good.yaml"], "--config", missing}, ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runAccessKubeconfigTree(t, tt.args...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.want, stderr)
			}
		})
	}
}

// TestAccessKubeconfigDefaultFiles: without arguments the files $KUBECONFIG
// lists are audited, missing ones skipped as kubectl does; else
// ~/.kube/config.
func TestAccessKubeconfigDefaultFiles(t *testing.T) {
	p := accessWriteKubeconfigs(t)
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "missing")+string(os.PathListSeparator)+p["token.yaml"])
	code, stdout, stderr := runAccessKubeconfigTree(t, "-o", "json")
	if code != ExitOK || !strings.Contains(stdout, "kubeconfig-static-token") {
		t.Errorf("$KUBECONFIG: exit %d, stderr %s, stdout:\n%s", code, stderr, stdout)
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("KUBECONFIG", "")
	if err := os.MkdirAll(filepath.Join(home, ".kube"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".kube", "config"), []byte(accessGoodKubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runAccessKubeconfigTree(t, "-o", "json")
	if code != ExitOK || !strings.Contains(stdout, "kubeconfig-exec-credential") || !strings.Contains(stdout, filepath.Join(".kube", "config")) {
		t.Errorf("~/.kube/config: exit %d, stderr %s, stdout:\n%s", code, stderr, stdout)
	}
}

// TestAccessKubeconfigJSON: findings name the file, the line of the entry,
// the entry and the field; the broken file is an error on stderr while the
// good file's findings are still reported.
func TestAccessKubeconfigJSON(t *testing.T) {
	accessNoDefaultKubeconfig(t)
	p := accessWriteKubeconfigs(t)
	code, stdout, stderr := runAccessKubeconfigTree(t, p["token.yaml"], p["broken.yaml"], "-o", "json")
	if code != ExitUsage {
		t.Errorf("exit %d, want %d", code, ExitUsage)
	}
	if !strings.Contains(stderr, p["broken.yaml"]+":4: duplicate user name") {
		t.Errorf("stderr does not name the broken file and line:\n%s", stderr)
	}
	var rep struct {
		Findings []struct {
			Rule   string `json:"rule"`
			Object struct {
				Kind string `json:"kind"`
				Name string `json:"name"`
			} `json:"object"`
			Source struct {
				File string `json:"file"`
				Line int    `json:"line"`
			} `json:"source"`
			Path string `json:"path"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	got := map[string]bool{}
	for _, f := range rep.Findings {
		if f.Source.File != p["token.yaml"] {
			t.Errorf("%s: file %s", f.Rule, f.Source.File)
		}
		got[f.Rule+" "+f.Object.Kind+"/"+f.Object.Name+" "+f.Path+" line "+strconv.Itoa(f.Source.Line)] = true
	}
	for _, want := range []string{
		"kubeconfig-plain-http Cluster/prod clusters[name=prod].cluster.server line 4",
		"kubeconfig-static-token User/ci users[name=ci].user.token line 8",
		"kubeconfig-basic-auth User/old-admin users[name=old-admin].user.password line 11",
	} {
		if !got[want] {
			t.Errorf("missing finding %q; got %v", want, got)
		}
	}
	if len(got) != 3 {
		t.Errorf("%d findings, want 3: %v", len(got), got)
	}
}

// TestAccessKubeconfigSecretsNeverPrinted: no format, and no error, prints a
// token, password or cached OIDC token.
func TestAccessKubeconfigSecretsNeverPrinted(t *testing.T) {
	accessNoDefaultKubeconfig(t)
	p := accessWriteKubeconfigs(t)
	for _, format := range []string{"table", "json", "sarif", "junit", "markdown"} {
		_, stdout, stderr := runAccessKubeconfigTree(t, p["token.yaml"], p["good.yaml"], p["broken.yaml"], "-o", format)
		for _, rule := range []string{"kubeconfig-static-token", "kubeconfig-basic-auth", "kubeconfig-plain-http", "kubeconfig-exec-credential"} {
			if !strings.Contains(stdout, rule) {
				t.Errorf("%s: output lacks %s: the test would prove little", format, rule)
			}
		}
		for _, out := range []string{stdout, stderr} {
			if i := strings.Index(out, "TOPSECRET"); i >= 0 {
				t.Errorf("%s: output contains a secret: %q", format, out[max(0, i-40):min(len(out), i+40)])
			}
		}
	}
}

// TestAccessKubeconfigConfig: .kharden.yaml next to the kubeconfig (or
// --config) turns rules off and suppresses findings.
func TestAccessKubeconfigConfig(t *testing.T) {
	accessNoDefaultKubeconfig(t)
	p := accessWriteKubeconfigs(t)
	conf := "rules:\n  kubeconfig-plain-http: {enabled: false}\n" +
		"exceptions:\n- rules: [kubeconfig-static-token, kubeconfig-basic-auth]\n  owner: platform\n  reason: break-glass file kept offline\n  expires: \"2099-01-01\"\n"
	if err := os.WriteFile(filepath.Join(filepath.Dir(p["token.yaml"]), ".kharden.yaml"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runAccessKubeconfigTree(t, p["token.yaml"], "--fail-on", "info", "-o", "json")
	if code != ExitOK {
		t.Errorf("exit %d, want %d (every finding off or suppressed); stderr %s", code, ExitOK, stderr)
	}
	if strings.Contains(stdout, "kubeconfig-plain-http") {
		t.Error("disabled rule reported")
	}
	if !strings.Contains(stdout, `"suppressed"`) {
		t.Error("suppressed findings missing from JSON")
	}
}

func TestAccessKubeconfigHelpListsRules(t *testing.T) {
	_, stdout, _ := runAccessKubeconfigTree(t, "--help")
	for _, rule := range []string{"kubeconfig-static-token", "kubeconfig-client-cert-system-masters", "kubeconfig-exec-credential"} {
		if !strings.Contains(stdout, rule) {
			t.Errorf("help lacks %s:\n%s", rule, stdout)
		}
	}
}
