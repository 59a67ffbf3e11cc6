package etcdcheck

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeCA writes a fresh self-signed CA certificate and returns its path.
func writeCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// closedPort returns an address nobody listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestVerifyErrors(t *testing.T) {
	tlsServer := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsServer.Close()
	ca := writeCA(t)
	garbage := filepath.Join(t.TempDir(), "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a bolt file ", 512)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"no endpoint", Options{}, "no etcd endpoint"},
		{"closed port", Options{Endpoints: []string{"http://" + closedPort(t)}}, "connection refused"},
		{"wrong CA", Options{Endpoints: []string{tlsServer.URL}, CACert: ca}, "certificate"},
		{"missing CA file", Options{Endpoints: []string{tlsServer.URL}, CACert: filepath.Join(t.TempDir(), "nope.crt")}, "--cacert"},
		{"CA not PEM", Options{Endpoints: []string{tlsServer.URL}, CACert: garbage}, "no PEM certificate"},
		{"cert without key", Options{Endpoints: []string{tlsServer.URL}, Cert: ca}, "--cert and --key"},
		{"key not matching", Options{Endpoints: []string{tlsServer.URL}, Cert: ca, Key: garbage}, "--key"},
		{"missing snapshot", Options{Snapshot: filepath.Join(t.TempDir(), "none.db")}, "--snapshot"},
		{"garbage snapshot", Options{Snapshot: garbage}, "not an etcd snapshot"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Timeout = 3 * time.Second
			start := time.Now()
			rep, err := Verify(context.Background(), tc.o)
			if err == nil {
				t.Fatalf("no error, report %+v", rep)
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line containing %q", err, tc.want)
			}
			if d := time.Since(start); d > 4*time.Second {
				t.Errorf("took %v, timeout 3s", d)
			}
		})
	}
}

func TestVerifyTimeout(t *testing.T) {
	// A listener that accepts and never answers: the TLS handshake must
	// give up within the timeout.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	start := time.Now()
	_, err = Verify(context.Background(), Options{Endpoints: []string{"https://" + l.Addr().String()}, Timeout: time.Second})
	if err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("error %v after %v", err, time.Since(start))
	}
}

func TestVerifyKeyNeverInError(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	keyPath := filepath.Join(t.TempDir(), "client.key")
	if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	// The CA certificate does not belong to this key.
	_, err = Verify(context.Background(), Options{Endpoints: []string{"https://127.0.0.1:1"}, Cert: writeCA(t), Key: keyPath})
	if err == nil {
		t.Fatal("no error for a mismatched key")
	}
	body := strings.Split(string(keyPEM), "\n")[1]
	if strings.Contains(err.Error(), body[:20]) {
		t.Fatalf("error contains key material: %v", err)
	}
}
