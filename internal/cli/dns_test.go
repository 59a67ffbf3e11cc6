package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/detect/dns"
)

// dnsRun runs `dns ARGS...` on the command itself (root.go wires it).
func dnsRun(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := newDNSCommand(strings.NewReader(stdin), &out, &errOut)
	cmd.SetArgs(args)
	cmd.SetOut(&errOut)
	cmd.SetErr(&errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	code := 0
	if err := cmd.Execute(); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		} else {
			code = ExitUsage
		}
		errOut.WriteString(err.Error())
	}
	return code, out.String(), errOut.String()
}

// dnsFixture writes a generated log with one tunnelling pod and a
// manifest of the pods.
func dnsFixture(t *testing.T) (log, pods string, tr *dns.Truth) {
	t.Helper()
	dir := t.TempDir()
	var buf bytes.Buffer
	tr, err := dns.Generate(&buf, dns.GenerateOptions{Seed: 2, Clients: 10, Format: "cri",
		Anomalies: []dns.Anomaly{{Kind: dns.AnomalyTunnel}}})
	if err != nil {
		t.Fatal(err)
	}
	buf.WriteString("[INFO] plugin/reload: Running configuration SHA512 = 00\ngarbage here\n")
	log = filepath.Join(dir, "coredns.log")
	if err := os.WriteFile(log, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	var m strings.Builder
	for _, p := range tr.Pods {
		m.WriteString("---\napiVersion: v1\nkind: Pod\nmetadata: {name: " + p.Name + ", namespace: " + p.Namespace +
			"}\nspec: {containers: [{name: c, image: x}]}\nstatus: {phase: Running, podIP: " + p.IP + "}\n")
	}
	pods = filepath.Join(dir, "pods.yaml")
	if err := os.WriteFile(pods, []byte(m.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return log, pods, tr
}

func TestDNSAnalyze(t *testing.T) {
	t.Chdir(t.TempDir())
	log, pods, tr := dnsFixture(t)
	code, out, errOut := dnsRun(t, "", "analyze", log, "-f", pods, "-o", "json", "--fail-on", "high")
	if code != ExitFindings {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	var rep struct {
		Findings []struct {
			Rule   string `json:"rule"`
			Object struct{ Kind, Namespace, Name string }
		} `json:"findings"`
		Diagnostics []struct {
			File    string `json:"file"`
			Line    int    `json:"line"`
			Message string `json:"message"`
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	anomalous := tr.Pods[len(tr.Pods)-1]
	if len(rep.Findings) != 1 || rep.Findings[0].Rule != "dns-random-domains" || rep.Findings[0].Object.Kind != "Pod" ||
		rep.Findings[0].Object.Name != anomalous.Name {
		t.Errorf("findings %+v, want the pod %s", rep.Findings, anomalous.Name)
	}
	if len(rep.Diagnostics) != 1 || rep.Diagnostics[0].Line != tr.Lines+2 || rep.Diagnostics[0].File != log {
		t.Errorf("diagnostics %+v", rep.Diagnostics)
	}
	if !strings.Contains(errOut, "1 other CoreDNS output, 1 malformed") || !strings.Contains(errOut, "mapped to pods") {
		t.Errorf("stderr: %s", errOut)
	}
	// Without pods the client is named by its address; --until before
	// the anomaly leaves nothing to report.
	code, out, _ = dnsRun(t, "", "analyze", log, "-o", "json")
	if code != 0 || !strings.Contains(out, `"DNSClient"`) {
		t.Errorf("exit %d: %s", code, out)
	}
	code, out, _ = dnsRun(t, "", "analyze", log, "-o", "json", "--until", "2026-11-25T02:11:00Z", "--fail-on", "low")
	if code != 0 || !strings.Contains(out, `"findings": []`) {
		t.Errorf("--until: exit %d: %s", code, out)
	}
}

func TestDNSAnalyzeStdinAndErrors(t *testing.T) {
	t.Chdir(t.TempDir())
	log, _, _ := dnsFixture(t)
	data, _ := os.ReadFile(log)
	if code, out, errOut := dnsRun(t, string(data), "analyze", "-", "-o", "markdown"); code != 0 || !strings.Contains(out, "dns-random-domains") {
		t.Errorf("stdin: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut := dnsRun(t, "", "analyze", log, filepath.Join(t.TempDir(), "missing.log"))
	if code != ExitUsage || !strings.Contains(out, "dns-random-domains") || !strings.Contains(errOut, "missing.log") {
		t.Errorf("unreadable input: exit %d\n%s\n%s", code, out, errOut)
	}
	// A directory stands for the logs in it; an empty one is an input error.
	logDir := filepath.Dir(log)
	if code, out, errOut := dnsRun(t, "", "analyze", logDir, "-o", "json"); code != 0 || !strings.Contains(out, "dns-random-domains") {
		t.Errorf("log directory: exit %d\n%s\n%s", code, out, errOut)
	}
	emptyDir := t.TempDir()
	if code, out, errOut := dnsRun(t, "", "analyze", log, emptyDir); code != ExitUsage || !strings.Contains(out, "dns-random-domains") ||
		!strings.Contains(errOut, emptyDir+": a directory without log files") {
		t.Errorf("empty directory: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, args := range [][]string{{"analyze"}, {"analyze", log, "-o", "xml"}, {"analyze", log, "--since", "yesterday"}, {"analyze", log, "--fail-on", "bad"}} {
		if code, _, errOut := dnsRun(t, "", args...); code != ExitUsage {
			t.Errorf("%v: exit %d %s", args, code, errOut)
		}
	}
	for _, format := range []string{"table", "sarif", "junit"} {
		if code, out, errOut := dnsRun(t, "", "analyze", log, "-o", format); code != 0 || out == "" {
			t.Errorf("%s: exit %d %s", format, code, errOut)
		}
	}
}
