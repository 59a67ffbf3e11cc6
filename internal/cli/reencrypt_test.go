package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kharden/kharden/internal/testcluster"
)

func TestReencryptUsageErrors(t *testing.T) {
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "missing"))
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no resources", []string{"reencrypt"}, "--resources is required"},
		{"bad qps", []string{"reencrypt", "--resources", "secrets", "--qps", "0"}, "--qps must be positive"},
		{"bad chunk", []string{"reencrypt", "--resources", "secrets", "--chunk-size", "-1"}, "--chunk-size must be positive"},
		{"no kubeconfig", []string{"reencrypt", "--resources", "secrets"}, "no kubeconfig found"},
		{"argument", []string{"reencrypt", "secrets"}, "unknown command"},
		{"unknown flag", []string{"reencrypt", "--frobnicate"}, "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, "", tt.args...)
			if code != ExitUsage || !strings.Contains(stderr, tt.wantErr) {
				t.Fatalf("exit %d, stderr %q, want 2 and %q (stdout %q)", code, stderr, tt.wantErr, stdout)
			}
		})
	}
}

// TestReencryptCluster runs the command against a real API server with
// encryption turned on after secrets were written: a dry run, an applying
// run that rewrites them, and a second run that writes nothing. No secret
// value may appear in any output.
func TestReencryptCluster(t *testing.T) {
	identity := "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n" +
		"- resources: [secrets]\n  providers:\n  - identity: {}\n"
	c := testcluster.Start(t, testcluster.Options{EncryptionConfig: []byte(identity)})
	ctx := context.Background()
	var values []string
	for i := range 12 {
		v := fmt.Sprintf("cli-s3cr3t-%d-value", i)
		values = append(values, v)
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("s-%02d", i), Namespace: "default"},
			StringData: map[string]string{"token": v}}
		if _, err := c.Client.CoreV1().Secrets("default").Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	c.RestartAPIServer(t, []byte(strings.Replace(identity, "  - identity: {}\n",
		"  - aescbc:\n      keys:\n      - name: k1\n        secret: MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=\n  - identity: {}\n", 1)))

	resume := filepath.Join(t.TempDir(), "resume.json")
	base := []string{"reencrypt", "--kubeconfig", c.KubeconfigPath, "--resources", "secrets", "-n", "default", "--chunk-size", "5"}
	var all strings.Builder
	check := func(args []string, wantCode int, wantLine string) {
		t.Helper()
		code, stdout, stderr := run(t, "", args...)
		all.WriteString(stdout + stderr)
		if code != wantCode || !strings.Contains(strings.Join(strings.Fields(stdout), " "), wantLine) {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q; want %d and %q", args, code, stdout, stderr, wantCode, wantLine)
		}
	}
	check(base, ExitOK, "secrets 12 0 0 0 0 Dry run")
	if v, _ := c.EtcdGet(t, "/registry/secrets/default/s-00"); strings.HasPrefix(string(v), "k8s:enc:") {
		t.Fatal("dry run encrypted a secret")
	}
	check(append(base, "--apply", "--resume-file", resume), ExitOK, "secrets 12 0 0 0 0")
	if v, _ := c.EtcdGet(t, "/registry/secrets/default/s-00"); !strings.HasPrefix(string(v), "k8s:enc:aescbc:v1:k1:") {
		t.Fatal("secret not encrypted after --apply")
	}
	check(append(base, "--apply"), ExitOK, "secrets 0 12 0 0 0")
	check([]string{"reencrypt", "--kubeconfig", c.KubeconfigPath, "--resources", "nosuchthings"}, ExitUsage, "")
	check([]string{"reencrypt", "--kubeconfig", c.KubeconfigPath, "--resources", "namespaces", "-n", "default"}, ExitUsage, "")
	for _, v := range values {
		if strings.Contains(all.String(), v) {
			t.Fatal("a secret value was printed")
		}
	}
}
