package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kharden/kharden/internal/testcluster"
	"github.com/kharden/kharden/pkg/etcdcheck"
)

// etcdSecretMarker is a Secret value that must never be printed.
const etcdSecretMarker = "kharden-cli-etcd-s3cr3t-marker"

func TestEtcdVerifyUsageAndConnectionErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no endpoints", nil, "--endpoints"},
		{"both", []string{"--endpoints", "http://" + closed, "--snapshot", "x.db"}, "not both"},
		{"bad output", []string{"--endpoints", "http://" + closed, "-o", "yaml"}, "table or json"},
		{"closed port", []string{"--endpoints", "http://" + closed, "--timeout", "2s"}, "connection refused"},
		{"missing CA", []string{"--endpoints", "https://" + closed, "--cacert", filepath.Join(t.TempDir(), "ca.crt")}, "--cacert"},
		{"missing snapshot", []string{"--snapshot", filepath.Join(t.TempDir(), "s.db")}, "--snapshot"},
		{"unknown flag", []string{"--nope"}, "unknown flag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, "", append([]string{"etcd", "verify-encryption"}, tc.args...)...)
			if code != ExitUsage || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("exit %d, stderr %q (want one line with %q), stdout %q", code, stderr, tc.want, stdout)
			}
		})
	}
}

func TestEtcdVerifyPlaintextCluster(t *testing.T) {
	c := testcluster.Start(t, testcluster.Options{})
	for i := range 3 {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("s%d", i)},
			StringData: map[string]string{"token": etcdSecretMarker}}
		if _, err := c.Client.CoreV1().Secrets("default").Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	endpoint := c.Env.ControlPlane.Etcd.URL.String()

	t.Run("table", func(t *testing.T) {
		code, stdout, stderr := run(t, "", "etcd", "verify-encryption", "--endpoints", endpoint)
		if code != ExitFindings {
			t.Fatalf("exit %d, want 1; stderr %s", code, stderr)
		}
		t.Logf("table:\n%s", stdout)
		if !strings.Contains(stdout, "secrets") || !strings.Contains(stdout, "Plaintext Secrets: 3") ||
			!strings.Contains(stdout, etcdcheck.PlaintextProvider+"=3") || !strings.Contains(stderr, "3 Secret(s) stored in plaintext") {
			t.Errorf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
		}
		if strings.Contains(stdout+stderr, etcdSecretMarker) {
			t.Fatal("a secret value was printed")
		}
	})

	t.Run("json", func(t *testing.T) {
		code, stdout, stderr := run(t, "", "etcd", "verify-encryption", "--endpoints", endpoint, "-o", "json")
		if code != ExitFindings {
			t.Fatalf("exit %d, want 1; stderr %s", code, stderr)
		}
		var rep etcdcheck.Report
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		s, _ := rep.Resource(etcdcheck.SecretsResource)
		if rep.PlaintextSecrets != 3 || s.Total != 3 || s.Plaintext != 3 {
			t.Errorf("report %+v", rep)
		}
		if strings.Contains(stdout+stderr, etcdSecretMarker) {
			t.Fatal("a secret value was printed")
		}
	})

	t.Run("no secrets under another prefix", func(t *testing.T) {
		code, stdout, stderr := run(t, "", "etcd", "verify-encryption", "--endpoints", endpoint, "--prefix", "/nothing-here")
		if code != ExitOK || !strings.Contains(stdout, "Plaintext Secrets: 0") {
			t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
		}
	})
}
