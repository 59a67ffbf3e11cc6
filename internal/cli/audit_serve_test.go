package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// auditServeCert writes a self-signed serving certificate for 127.0.0.1
// and returns the file names and a pool trusting it.
func auditServeCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "audit-serve"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return certFile, keyFile, pool
}

// auditServeBuffer is written by the server and read by the test.
type auditServeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *auditServeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *auditServeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func runAuditServeCmd(ctx context.Context, stdout, stderr io.Writer, args ...string) error {
	cmd := newAuditServeCommand(stdout, stderr)
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return cmd.ExecuteContext(ctx)
}

func TestAuditServeUsageErrors(t *testing.T) {
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "missing"))
	cert, key, _ := auditServeCert(t)
	badKey := filepath.Join(t.TempDir(), "bad.key")
	const planted = "PLANTED-PRIVATE-KEY-MATERIAL-4711"
	if err := os.WriteFile(badKey, []byte("-----BEGIN EC PRIVATE KEY-----\n"+planted+"\n-----END EC PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	spool := filepath.Join(t.TempDir(), "spool")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no spool", []string{"--tls-cert-file", cert, "--tls-private-key-file", key}, "--spool-dir"},
		{"no certificate", []string{"--spool-dir", spool}, "--tls-cert-file"},
		{"bad key", []string{"--spool-dir", spool, "--tls-cert-file", cert, "--tls-private-key-file", badKey}, badKey},
		{"missing client CA", []string{"--spool-dir", spool, "--tls-cert-file", cert, "--tls-private-key-file", key, "--client-ca-file", "/nonexistent/ca.crt"}, "client CA"},
		{"bad alert webhook", []string{"--spool-dir", spool, "--tls-cert-file", cert, "--tls-private-key-file", key, "--alert-webhook", "ftp://x"}, "alert webhook"},
		{"unknown rule", []string{"--spool-dir", spool, "--tls-cert-file", cert, "--tls-private-key-file", key, "--rule", "no-such-rule"}, "no-such-rule"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := runAuditServeCmd(context.Background(), &out, &errb, tc.args...)
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != ExitUsage {
				t.Fatalf("err = %v, want a usage error", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %q", err, tc.want)
			}
			if strings.Contains(err.Error()+out.String()+errb.String(), planted) {
				t.Errorf("key material in the output: %v", err)
			}
		})
	}
}

func TestAuditServeCommand(t *testing.T) {
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "missing"))
	cert, key, pool := auditServeCert(t)
	dir := t.TempDir()
	nsFile := filepath.Join(dir, "ns.yaml")
	if err := os.WriteFile(nsFile, []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n    team: team-pay\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	mln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	maddr := mln.Addr().String()
	mln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := &auditServeBuffer{}, &auditServeBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runAuditServeCmd(ctx, stdout, stderr, "--address", addr, "--metrics-address", maddr,
			"--tls-cert-file", cert, "--tls-private-key-file", key, "--spool-dir", filepath.Join(dir, "spool"), "-f", nsFile)
	}()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	at := time.Now().UTC().Format(time.RFC3339Nano)
	body := `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"kind":"Event","apiVersion":"audit.k8s.io/v1",` +
		`"level":"Metadata","auditID":"a-1","stage":"ResponseComplete","verb":"create","requestURI":"/api/v1/namespaces/payments/pods/api/exec",` +
		`"user":{"username":"mallory"},"sourceIPs":["10.0.0.9"],"objectRef":{"resource":"pods","subresource":"exec","namespace":"payments","name":"api","apiVersion":"v1"},` +
		`"responseStatus":{"code":101},"requestReceivedTimestamp":"` + at + `","stageTimestamp":"` + at + `"}]}`
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := client.Post("https://"+addr+"/", "application/json", strings.NewReader(body))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("POST: %s", resp.Status)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server never came up: %v\n%s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for !strings.Contains(stdout.String(), "audit-exec-into-pod") {
		if time.Now().After(deadline) {
			t.Fatalf("no alert on stdout: %q\nstderr: %s", stdout.String(), stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.Get("http://" + maddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := `kharden_audit_findings_total{namespace="payments",rule="audit-exec-into-pod",team="team-pay"} 1`
	if !strings.Contains(string(metrics), want) {
		t.Errorf("/metrics lacks %s", want)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after cancel: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}
