package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kharden/kharden/internal/testcluster"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/lab"
)

// TestLabUpWithoutBinaries: one line saying how to build them, exit 2.
func TestLabUpWithoutBinaries(t *testing.T) {
	t.Setenv("KUBEBUILDER_ASSETS", t.TempDir())
	t.Setenv("KHARDEN_CACHE", t.TempDir())
	t.Setenv(lab.DirEnv, t.TempDir())
	code, stdout, stderr := run(t, "", "lab", "up")
	want := "Error: cluster binaries not built: run hack/cluster-binaries.sh (or make cluster-binaries)\n"
	if code != ExitUsage || stdout != "" || stderr != want {
		t.Errorf("lab up without binaries: exit %d, stdout %q, stderr %q; want exit 2 and %q", code, stdout, stderr, want)
	}
}

func TestLabScenarioList(t *testing.T) {
	code, stdout, _ := run(t, "", "lab", "scenario", "--list")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, name := range lab.ScenarioNames() {
		if !strings.Contains(stdout, name) {
			t.Errorf("--list lacks %s:\n%s", name, stdout)
		}
	}
	if code, _, stderr := run(t, "", "lab", "scenario", "no-such-incident"); code != ExitUsage || !strings.Contains(stderr, "unknown scenario") {
		t.Errorf("unknown scenario: exit %d, %q", code, stderr)
	}
}

// TestLabEndToEnd runs the lab for real: up (and up again), every scenario,
// a cluster scan that finds the incidents' workload findings, the etcd
// picture of incident 2, and down leaving no process behind.
func TestLabEndToEnd(t *testing.T) {
	if _, ok := testcluster.Assets(); !ok {
		if os.Getenv("CI") != "" {
			t.Fatal("cluster binaries not built (run hack/cluster-binaries.sh)")
		}
		t.Skip("cluster binaries not built (run hack/cluster-binaries.sh)")
	}
	dir := t.TempDir()
	t.Setenv(lab.DirEnv, dir)
	l := lab.Open(dir)
	t.Cleanup(func() {
		if _, err := l.Down(lab.DownOptions{Grace: 2 * time.Second}); err != nil {
			t.Error(err)
		}
	})
	mustRun := func(args ...string) string {
		t.Helper()
		start := time.Now()
		code, stdout, stderr := run(t, "", args...)
		t.Logf("kharden %s: exit %d in %s", strings.Join(args, " "), code, time.Since(start).Round(time.Millisecond))
		if code != 0 {
			t.Fatalf("kharden %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout, stderr)
		}
		return stdout
	}
	out := mustRun("lab", "up")
	if !strings.Contains(out, "export KUBECONFIG="+l.KubeconfigPath()) {
		t.Errorf("lab up does not say how to use it:\n%s", out)
	}
	if out := mustRun("lab", "up"); !strings.Contains(out, "already up") {
		t.Errorf("second lab up:\n%s", out)
	}
	if out := mustRun("lab", "kubeconfig"); strings.TrimSpace(out) != l.KubeconfigPath() {
		t.Errorf("lab kubeconfig = %q", out)
	}
	out = mustRun("lab", "scenario", "all")
	for _, s := range lab.Scenarios() {
		if !strings.Contains(out, fmt.Sprintf("%d %s:", s.Incident, s.Name)) {
			t.Errorf("scenario all does not report %s:\n%s", s.Name, out)
		}
	}
	st, err := l.Status(context.Background())
	if err != nil || !st.Up {
		t.Fatalf("status after scenarios: %+v, %v", st, err)
	}
	if out := mustRun("lab", "status"); !strings.Contains(out, "Lab:        up") || !strings.Contains(out, l.KubeconfigPath()) {
		t.Errorf("lab status:\n%s", out)
	}
	for _, f := range []string{"scenarios/bots-hammering-api/audit.log", "scenarios/dns-miner/coredns.log", "audit/audit.log"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}

	t.Run("scan", func(t *testing.T) { checkLabScan(t, l) })
	t.Run("plaintext-secrets", func(t *testing.T) { checkEtcdEncryption(t, dir) })
	t.Run("pod-ip", func(t *testing.T) {
		cfg, err := l.RestConfig()
		if err != nil {
			t.Fatal(err)
		}
		pod, err := kubernetes.NewForConfigOrDie(cfg).CoreV1().Pods("dev").Get(context.Background(), "image-cache-6f9c7d5b8-x2kqp", metav1.GetOptions{})
		if err != nil || pod.Status.PodIP != "10.244.3.17" {
			t.Errorf("miner pod IP: %v, %v", pod.Status.PodIP, err)
		}
	})

	// Applying again changes nothing and still works after the restarts.
	mustRun("lab", "scenario", "token-leak")

	st, _ = l.Status(context.Background())
	out = mustRun("lab", "down")
	if !strings.Contains(out, "The lab is down") {
		t.Errorf("lab down:\n%s", out)
	}
	for _, c := range st.Components {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", c.PID)); err == nil {
			status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.PID))
			t.Errorf("%s (pid %d) still running after lab down:\n%s", c.Name, c.PID, status[:min(len(status), 200)])
		}
	}
	if out := mustRun("lab", "status"); !strings.Contains(out, "Lab:        down") {
		t.Errorf("lab status after down:\n%s", out)
	}
	if out := mustRun("lab", "down"); !strings.Contains(out, "not running") {
		t.Errorf("second lab down:\n%s", out)
	}
}

// checkLabScan: `kharden scan --cluster` against the lab reports the
// workload findings of incidents 3 to 6 on the live objects.
func checkLabScan(t *testing.T, l *lab.Lab) {
	code, stdout, stderr := run(t, "", "scan", "--cluster", "--kubeconfig", l.KubeconfigPath(), "-o", "json")
	if code != ExitOK && code != ExitFindings {
		t.Fatalf("scan --cluster: exit %d\n%s", code, stderr)
	}
	var rep struct {
		Findings []finding.Finding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("scan --cluster output: %v", err)
	}
	got := map[string]bool{}
	for _, f := range rep.Findings {
		got[fmt.Sprintf("%s %s %s/%s", f.Rule, f.Object.Kind, f.Object.Namespace, f.Object.Name)] = true
	}
	want := []string{
		"privileged-container Deployment debug/toolbox",
		"host-network Deployment debug/toolbox",
		"env-dump-at-startup Deployment shop/checkout",
		"image-latest-tag Deployment shop/pricing",
		"image-latest-tag Deployment dev/image-cache",
		"image-latest-tag Pod dev/image-cache-6f9c7d5b8-x2kqp",
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("scan --cluster: no %s (%d findings)", w, len(rep.Findings))
		}
	}
	// Every rule a scenario promises is among them.
	for _, s := range lab.Scenarios() {
		for _, r := range s.Findings {
			found := false
			for k := range got {
				found = found || strings.HasPrefix(k, string(r)+" ")
			}
			if !found {
				t.Errorf("%s: no %s finding", s.Name, r)
			}
		}
	}
	if strings.Contains(stdout, "lab-fake-") {
		t.Error("a Secret value appears in the scan output")
	}
}

// checkEtcdEncryption reads the Secrets of incident 2 straight from etcd
// (its JSON gateway): the legacy ones are plaintext, the new one aescbc.
func checkEtcdEncryption(t *testing.T, dir string) {
	var state struct {
		EtcdPort int `json:"etcdPort"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil || json.Unmarshal(data, &state) != nil {
		t.Fatalf("lab state: %v", err)
	}
	for name, wantEncrypted := range map[string]bool{"invoice-db": false, "payment-gateway": false, "payment-gateway-v2": true} {
		key := base64.StdEncoding.EncodeToString([]byte("/registry/secrets/billing/" + name))
		resp, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d/v3/kv/range", state.EtcdPort), "application/json",
			strings.NewReader(`{"key":"`+key+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Kvs []struct {
				Value []byte `json:"value"`
			} `json:"kvs"`
		}
		err = json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		if err != nil || len(r.Kvs) != 1 {
			t.Fatalf("etcd %s: %v, %d values", name, err, len(r.Kvs))
		}
		v := r.Kvs[0].Value
		encrypted := bytes.HasPrefix(v, []byte("k8s:enc:aescbc:v1:"))
		if encrypted != wantEncrypted || (!encrypted && !bytes.HasPrefix(v, []byte("k8s\x00"))) {
			// Only the first bytes: never a value in test output.
			t.Errorf("secret billing/%s in etcd starts %q, want encrypted=%v", name, v[:min(len(v), 8)], wantEncrypted)
		}
	}
}
