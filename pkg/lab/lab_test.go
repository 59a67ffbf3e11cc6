package lab

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	certutil "k8s.io/client-go/util/cert"

	"github.com/kharden/kharden/examples/scenarios"
	"github.com/kharden/kharden/pkg/inventory"
)

func TestCertificates(t *testing.T) {
	l := Open(t.TempDir())
	if err := l.ensureCerts(); err != nil {
		t.Fatal(err)
	}
	ca := readCert(t, l.certPath(caCert))
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	serving := readCert(t, l.certPath(servingCert))
	for _, host := range []string{"127.0.0.1", "localhost", "::1", "kubernetes.default.svc"} {
		if _, err := serving.Verify(x509.VerifyOptions{Roots: pool, DNSName: host}); err != nil {
			t.Errorf("serving certificate for %s: %v", host, err)
		}
	}
	admin := readCert(t, l.certPath(adminCert))
	if _, err := admin.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("admin certificate: %v", err)
	}
	if admin.Subject.CommonName != AdminUser || fmt.Sprint(admin.Subject.Organization) != "[system:masters]" {
		t.Errorf("admin subject = %v", admin.Subject)
	}
	// A second call keeps the PKI: kubeconfigs handed out stay valid.
	before, _ := os.ReadFile(l.certPath(caCert))
	if err := l.ensureCerts(); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(l.certPath(caCert))
	if !bytes.Equal(before, after) {
		t.Error("ensureCerts replaced an existing CA")
	}
	if err := l.writeKubeconfig(l.KubeconfigPath(), 6443, AdminUser, adminCert, adminKey); err != nil {
		t.Fatal(err)
	}
	cfg, err := l.RestConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "https://127.0.0.1:6443" || len(cfg.CAData) == 0 || len(cfg.CertData) == 0 {
		t.Errorf("kubeconfig: host %q, CA %d bytes, cert %d bytes", cfg.Host, len(cfg.CAData), len(cfg.CertData))
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	certs, err := certutil.CertsFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return certs[0]
}

func TestUpWithoutBinaries(t *testing.T) {
	for _, assets := range []string{"", t.TempDir()} {
		l := Open(t.TempDir())
		_, _, err := l.Up(context.Background(), UpOptions{Assets: assets})
		if !errors.Is(err, ErrBinariesMissing) {
			t.Errorf("assets %q: err = %v, want ErrBinariesMissing", assets, err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("the message is not one line: %q", err)
		}
	}
}

// TestDetachedProcess: a started process runs in its own session, is found
// again by pid and binary, and is gone after stop.
func TestDetachedProcess(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	dir := t.TempDir()
	pid, err := startDetached(sleep, []string{"60"}, filepath.Join(dir, "logs", "sleep.log"), filepath.Join(dir, "run", "sleep.pid"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop(pid, sleep, time.Second) })
	if !running(pid, sleep) {
		t.Fatal("started process is not running")
	}
	if running(pid, "/bin/not-sleep") {
		t.Error("a pid running another binary counts as running")
	}
	stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	// Fields after the command: state ppid pgrp session.
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
	if f[3] != fmt.Sprint(pid) {
		t.Errorf("session = %s, want %d (setsid)", f[3], pid)
	}
	if err := stop(pid, sleep, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
		t.Errorf("process %d still in /proc after stop", pid)
	}
}

func TestFreePort(t *testing.T) {
	p, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	if !portFree(p) {
		t.Fatalf("port %d not free", p)
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if portFree(p) {
		t.Errorf("port %d in use but reported free", p)
	}
	if portFree(0) {
		t.Error("port 0 reported free")
	}
}

func TestScenarioCatalogue(t *testing.T) {
	all := Scenarios()
	if len(all) != 6 {
		t.Fatalf("%d scenarios, want the six incidents", len(all))
	}
	for i, s := range all {
		if s.Incident != i+1 {
			t.Errorf("%s: incident %d at position %d", s.Name, s.Incident, i+1)
		}
		if s.Title == "" || s.Evidence == "" {
			t.Errorf("%s: title or evidence missing", s.Name)
		}
		files := scenarios.Files(string(s.Name))
		if len(files) == 0 {
			t.Errorf("%s: no manifests", s.Name)
		}
		kinds := 0
		for _, f := range files {
			objs, err := decodeManifests(f.Path, f.Data)
			if err != nil {
				t.Errorf("%s: %v", s.Name, err)
			}
			// The same files must load in kharden's own loader.
			invObjs, diags := inventory.ParseDocuments(f.Path, f.Data, inventory.OriginFile)
			if len(diags) > 0 || len(invObjs) != len(objs) {
				t.Errorf("%s: inventory reads %d objects (%v), the lab %d", f.Path, len(invObjs), diags, len(objs))
			}
			kinds += len(objs)
		}
		if kinds == 0 {
			t.Errorf("%s: no objects", s.Name)
		}
		if _, ok := LookupScenario(string(s.Name)); !ok {
			t.Errorf("%s: not found by name", s.Name)
		}
	}
	if _, ok := LookupScenario("all"); ok {
		t.Error(`"all" is a scenario name`)
	}
}

func TestApplyOrder(t *testing.T) {
	docs := []byte(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: a}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: a}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb, namespace: a}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: sa, namespace: a}
---
apiVersion: v1
kind: Namespace
metadata: {name: a}
`)
	objs, err := decodeManifests("t.yaml", docs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, fmt.Sprintf("%d:%s", applyOrder(o.GroupVersionKind().GroupKind()), o.GetKind()))
	}
	want := "[5:Deployment 6:Pod 3:RoleBinding 2:ServiceAccount 0:Namespace]"
	if fmt.Sprint(got) != want {
		t.Errorf("order = %v, want %v", got, want)
	}
	if _, err := decodeManifests("bad.yaml", []byte("kind: Pod\n")); err == nil {
		t.Error("a document without apiVersion was accepted")
	}
}

// TestBotsAuditLog: the audit log is valid audit.k8s.io/v1, deterministic,
// and shows the incident: a 401/403 spike and a request-rate spike from the
// three bot addresses, none of it before minute 18.
func TestBotsAuditLog(t *testing.T) {
	var a, b bytes.Buffer
	if err := writeBotsAudit(&a, logEpoch); err != nil {
		t.Fatal(err)
	}
	if err := writeBotsAudit(&b, logEpoch); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("audit log differs between runs")
	}
	perIP := map[string]int{}
	denied, deniedBefore, total := 0, 0, 0
	spikeStart := logEpoch.Add(18 * time.Minute)
	sc := bufio.NewScanner(&a)
	sc.Buffer(nil, 1<<20)
	var last time.Time
	for sc.Scan() {
		var ev auditv1.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %d: %v", total+1, err)
		}
		total++
		if ev.APIVersion != "audit.k8s.io/v1" || ev.Kind != "Event" || ev.AuditID == "" || ev.ResponseStatus == nil || len(ev.SourceIPs) != 1 {
			t.Fatalf("line %d: incomplete event %+v", total, ev)
		}
		ts := ev.RequestReceivedTimestamp.Time
		if ts.Before(last) {
			t.Fatalf("line %d: out of order", total)
		}
		last = ts
		code := ev.ResponseStatus.Code
		if code == 401 || code == 403 {
			if ts.Before(spikeStart) {
				deniedBefore++
			}
			denied++
		}
		if !ts.Before(spikeStart) && ts.Before(spikeStart.Add(5*time.Minute)) {
			perIP[ev.SourceIPs[0]]++
		}
	}
	if deniedBefore != 0 || denied < 3000 {
		t.Errorf("401/403: %d before the spike, %d in all", deniedBefore, denied)
	}
	for _, ip := range botIPs {
		// About 8 requests a second for five minutes each.
		if perIP[ip] < 1500 {
			t.Errorf("bot %s: %d requests in the spike window", ip, perIP[ip])
		}
	}
}

var coreDNSLine = regexp.MustCompile(`^(\S+) \[INFO\] (\d+\.\d+\.\d+\.\d+):\d+ - \d+ "(A|AAAA|TXT) IN (\S+) udp \d+ false 512" (NOERROR|NXDOMAIN) \S+ \d+ [0-9.]+s$`)

func TestCoreDNSLog(t *testing.T) {
	var a, b bytes.Buffer
	if err := writeCoreDNSLog(&a, logEpoch); err != nil {
		t.Fatal(err)
	}
	_ = writeCoreDNSLog(&b, logEpoch)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("CoreDNS log differs between runs")
	}
	perIP := map[string]int{}
	names := map[string]bool{}
	for i, line := range strings.Split(strings.TrimSuffix(a.String(), "\n"), "\n") {
		m := coreDNSLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("line %d does not look like CoreDNS's log plugin: %q", i+1, line)
		}
		if _, err := time.Parse(time.RFC3339Nano, m[1]); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		perIP[m[2]]++
		if m[2] == minerPodIP {
			names[m[4]] = true
			if !strings.HasSuffix(m[4], "."+minerDomain) || m[3] != "TXT" {
				t.Fatalf("miner query %q %s", m[4], m[3])
			}
		}
	}
	// The miner asks far more than any other pod, each time a new name.
	for ip, n := range perIP {
		if ip != minerPodIP && n*5 > perIP[minerPodIP] {
			t.Errorf("pod %s: %d queries, miner %d", ip, n, perIP[minerPodIP])
		}
	}
	if len(names) < perIP[minerPodIP]*9/10 {
		t.Errorf("miner names repeat: %d distinct of %d", len(names), perIP[minerPodIP])
	}
}
