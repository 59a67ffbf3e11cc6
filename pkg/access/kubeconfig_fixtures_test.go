package access

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// kcUpdate regenerates the certificates of the kubeconfig fixtures. Its own
// name, not -update, so it cannot clash with another test file's flag.
var kcUpdate = flag.Bool("update-kubeconfig", false, "regenerate testdata/kubeconfig certificates and the fixtures that embed them")

// kcNow is the clock of the kubeconfig fixtures.
var kcNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

const kcFixtureDir = "testdata/kubeconfig"

// kcTestCert describes a client certificate of the fixtures.
type kcTestCert struct {
	file      string // under testdata/kubeconfig/certs
	cn        string
	orgs      []string
	notBefore time.Time
	notAfter  time.Time
}

var kcTestCerts = []kcTestCert{
	{"good.crt", "alice", []string{"developers"}, kcDate(2026, 5, 31), kcDate(2026, 6, 30)},
	{"expired.crt", "carol", []string{"developers"}, kcDate(2026, 1, 1), kcDate(2026, 3, 1)},
	{"long-lived.crt", "bob", []string{"ops"}, kcDate(2025, 1, 1), kcDate(2035, 1, 1)},
	{"system-masters.crt", "kubernetes-admin", []string{"system:masters"}, kcDate(2026, 5, 1), kcDate(2026, 8, 1)},
	// kubeadm's admin.conf: one year, NotBefore backdated five minutes.
	{"kubeadm-admin.crt", "kubernetes-admin", []string{"kubeadm:cluster-admins"},
		kcDate(2026, 5, 1).Add(-5 * time.Minute), kcDate(2027, 5, 1)},
}

func kcDate(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// kcEmbedded are fixtures generated with a certificate embedded as
// client-certificate-data: %[1]s is the client certificate's PEM and %[2]s
// the CA's, both base64.
var kcEmbedded = []struct{ fixture, cert, template string }{
	{"client-cert-long-lived.yaml", "long-lived.crt", `apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://prod.example.com:6443
    certificate-authority-data: %[2]s
users:
- name: bob
  user:
    client-certificate-data: %[1]s
    client-key-data: VE9QU0VDUkVULUtFWS1EQVRBLTc3MTE=
contexts:
- name: prod
  context: {cluster: prod, user: bob}
current-context: prod
`},
	{"client-cert-system-masters.yaml", "system-masters.crt", `apiVersion: v1
kind: Config
clusters:
- name: kubernetes
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: %[2]s
users:
- name: kubernetes-admin
  user:
    client-certificate-data: %[1]s
    client-key-data: VE9QU0VDUkVULUtFWS1EQVRBLTc3MTE=
contexts:
- name: kubernetes-admin@kubernetes
  context: {cluster: kubernetes, user: kubernetes-admin}
current-context: kubernetes-admin@kubernetes
`},
}

// TestKubeconfigGenerateFixtures writes the fixture certificates (signed by
// a throwaway CA whose key is never written) with -update-kubeconfig.
func TestKubeconfigGenerateFixtures(t *testing.T) {
	if !*kcUpdate {
		t.Skip("run with -update-kubeconfig to regenerate")
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kharden-test-ca"},
		NotBefore: kcDate(2024, 1, 1), NotAfter: kcDate(2036, 1, 1),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	written := map[string][]byte{}
	for i, c := range kcTestCerts {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i + 2)), Subject: pkix.Name{CommonName: c.cn, Organization: c.orgs},
			NotBefore: c.notBefore, NotAfter: c.notAfter,
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		// The chain follows the client's own certificate, as in real files.
		pemData := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), caPEM...)
		written[c.file] = pemData
		kcWrite(t, filepath.Join(kcFixtureDir, "certs", c.file), pemData)
	}
	kcWrite(t, filepath.Join(kcFixtureDir, "certs", "ca.crt"), caPEM)
	for _, e := range kcEmbedded {
		data := fmt.Sprintf(e.template, base64.StdEncoding.EncodeToString(written[e.cert]), base64.StdEncoding.EncodeToString(caPEM))
		kcWrite(t, filepath.Join(kcFixtureDir, e.fixture), []byte(data))
	}
}

func kcWrite(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
