package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(append([]string{"kharden"}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	// No kubeconfig: "scan" without paths must not turn into a cluster scan
	// of whatever the machine is configured for.
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "missing"))
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"findings without --fail-on", []string{"scan", "testdata/secrets.yaml"}, ExitOK},
		{"findings at --fail-on", []string{"scan", "testdata/secrets.yaml", "--fail-on", "high"}, ExitFindings},
		{"clean file under --fail-on", []string{"scan", "-f", "testdata/clean.yaml", "--fail-on", "low"}, ExitOK},
		{"parse error", []string{"scan", "testdata/bad.yaml"}, ExitUsage},
		{"no objects", []string{"scan", "testdata/empty"}, ExitUsage},
		{"no objects allowed", []string{"scan", "testdata/empty", "--allow-empty"}, ExitOK},
		{"missing path", []string{"scan", "testdata/does-not-exist.yaml"}, ExitUsage},
		{"no input", []string{"scan"}, ExitUsage},
		{"bad severity", []string{"scan", "testdata/clean.yaml", "--fail-on", "severe"}, ExitUsage},
		{"bad format", []string{"scan", "testdata/clean.yaml", "-o", "yaml"}, ExitUsage},
		{"unknown flag", []string{"scan", "--frobnicate"}, ExitUsage},
		{"unknown rule", []string{"explain", "no-such-rule"}, ExitUsage},
		{"rules", []string{"rules"}, ExitOK},
		{"explain", []string{"explain", "privileged-container"}, ExitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, "", tt.args...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.want, stderr)
			}
		})
	}
}

// TestParseErrorKeepsOtherDocuments: the bad document is reported with file
// and line, and the documents around it are still scanned.
func TestParseErrorKeepsOtherDocuments(t *testing.T) {
	code, stdout, stderr := run(t, "", "scan", "testdata/bad.yaml", "-o", "json")
	if code != ExitUsage {
		t.Fatalf("exit %d, want %d", code, ExitUsage)
	}
	if !strings.Contains(stderr, "testdata/bad.yaml:") {
		t.Errorf("stderr does not name file and line:\n%s", stderr)
	}
	var rep struct {
		Findings []struct {
			Object struct{ Name string } `json:"object"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, stdout)
	}
	found := false
	for _, f := range rep.Findings {
		if f.Object.Name == "after-the-error" {
			found = true
		}
	}
	if !found {
		t.Error("the document after the broken one was not scanned")
	}
}

func TestStdin(t *testing.T) {
	data, err := os.ReadFile("testdata/secrets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, string(data), "scan", "-", "-o", "json", "--fail-on", "critical")
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d; stderr: %s", code, ExitFindings, stderr)
	}
	if !strings.Contains(stdout, "hardcoded-credential") {
		t.Error("stdin was not scanned")
	}
}

// TestSecretValuesNeverPrinted scans Secrets, ConfigMaps and env literals
// holding credentials and checks no output format and no error repeats them.
func TestSecretValuesNeverPrinted(t *testing.T) {
	secrets := []string{"LEAKED-VIA-LAST-APPLIED-9x7", "TOPSECRET-STRINGDATA-4242", "VE9QU0VDUkVULURBVEEtQkFTRTY0",
		"TOPSECRET-CONFIGMAP-1717", "TOPSECRET-URLPASS-55", "TOPSECRET-ENV-LITERAL-3131", "AKIAIOSFODNN7EXAMPLE"}
	for _, format := range []string{"table", "json", "sarif", "junit", "markdown"} {
		_, stdout, stderr := run(t, "", "scan", "testdata/secrets.yaml", "-o", format, "--show-suppressed")
		if !strings.Contains(stdout, "hardcoded-credential") {
			t.Errorf("%s: expected hardcoded-credential findings", format)
		}
		for _, s := range secrets {
			if strings.Contains(stdout, s) || strings.Contains(stderr, s) {
				t.Errorf("%s output contains secret value %q", format, s)
			}
		}
	}
}

func TestBaselineOnlyNewFindingsFail(t *testing.T) {
	dir := t.TempDir()
	baseline := filepath.Join(dir, "baseline.json")
	file := filepath.Join(dir, "app.yaml")
	data, err := os.ReadFile("testdata/secrets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := run(t, "", "scan", file, "--write-baseline", baseline); code != ExitOK {
		t.Fatalf("write baseline: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, "", "scan", file, "--baseline", baseline, "--fail-on", "info"); code != ExitOK {
		t.Fatalf("scan with baseline: exit %d, want 0: %s", code, stderr)
	}
	// Unrelated lines move every old object down, and a new object with a
	// critical finding appears: only the new object's findings count.
	moved := "# a comment that moves every line down\n# and another\n" + string(data) +
		"\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: new\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    securityContext:\n      privileged: true\n"
	if err := os.WriteFile(file, []byte(moved), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := run(t, "", "scan", file, "--baseline", baseline, "--fail-on", "critical", "-o", "json")
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d", code, ExitFindings)
	}
	var rep struct {
		Findings []struct {
			Object     struct{ Name string }  `json:"object"`
			Suppressed *struct{ Kind string } `json:"suppressed"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	newFindings := 0
	for _, f := range rep.Findings {
		isNew := f.Object.Name == "new"
		if isNew {
			newFindings++
		}
		if isNew != (f.Suppressed == nil) {
			t.Errorf("finding on %s: suppressed=%v", f.Object.Name, f.Suppressed)
		}
	}
	if newFindings == 0 {
		t.Error("no finding on the new object")
	}
}

func TestKubectlPluginName(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"/usr/local/bin/kubectl-harden", "--help"}, strings.NewReader(""), &out, &errb); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out.String(), "kubectl harden [command]") {
		t.Errorf("plugin help does not speak of kubectl harden:\n%s", out.String())
	}
}
