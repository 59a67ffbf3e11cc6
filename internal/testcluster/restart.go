package testcluster

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// encryptionConfigFile is where Start writes Options.EncryptionConfig.
const encryptionConfigFile = "encryption-config.yaml"

// RestartAPIServer stops the kube-apiserver process (etcd keeps running
// with its data), replaces the EncryptionConfiguration file its
// --encryption-provider-config flag names with encryptionConfig, and starts
// it again on the same port with the same certificates, so c.Config and
// c.Client keep working. The cluster must have been started with
// Options.EncryptionConfig (an identity-only configuration stores
// plaintext, as a server without the flag does).
func (c *Cluster) RestartAPIServer(t testing.TB, encryptionConfig []byte) {
	t.Helper()
	p := filepath.Join(c.Dir, encryptionConfigFile)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("testcluster: RestartAPIServer needs a cluster started with Options.EncryptionConfig: %v", err)
	}
	api := c.Env.ControlPlane.GetAPIServer()
	if err := api.Stop(); err != nil {
		t.Fatalf("testcluster: stopping kube-apiserver: %v", err)
	}
	if err := os.WriteFile(p, encryptionConfig, 0o600); err != nil {
		t.Fatalf("testcluster: %v", err)
	}
	if err := api.Start(); err != nil {
		t.Fatalf("testcluster: restarting kube-apiserver: %v\n%s", err, tail(filepath.Join(c.Dir, "kube-apiserver.log"), 30))
	}
	// /healthz answers before every API group is served; wait until the
	// admin client can read.
	err := waitFor(startTimeout, func(ctx context.Context) (bool, error) {
		_, err := c.Client.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("testcluster: kube-apiserver not serving after restart: %v", err)
	}
}
