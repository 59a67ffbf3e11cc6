package etcdcheck

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kharden/kharden/internal/testcluster"
)

// secretMarker is the value of every test Secret; it must never appear in a
// report or an error.
const secretMarker = "kharden-etcdcheck-s3cr3t-marker"

// aescbcConfig encrypts secrets with aescbc key "key1", identity second.
func aescbcConfig(t *testing.T) []byte {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return fmt.Appendf(nil, `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: [secrets]
  providers:
  - aescbc:
      keys:
      - name: key1
        secret: %s
  - identity: {}
`, base64.StdEncoding.EncodeToString(key))
}

// createObjects creates n Secrets and n ConfigMaps in namespace default.
func createObjects(t *testing.T, c *testcluster.Cluster, n int) {
	ctx := context.Background()
	for i := range n {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("s%d", i)},
			StringData: map[string]string{"password": secretMarker}}
		if _, err := c.Client.CoreV1().Secrets("default").Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("c%d", i)},
			Data: map[string]string{"k": secretMarker}}
		if _, err := c.Client.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// assertNoMarker fails when the secret value appears in the report.
func assertNoMarker(t *testing.T, rep *Report) {
	t.Helper()
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), secretMarker) {
		t.Fatalf("report contains a secret value: %s", b)
	}
}

func TestVerifyEncryptedCluster(t *testing.T) {
	c := testcluster.Start(t, testcluster.Options{EncryptionConfig: aescbcConfig(t)})
	// More than one page of secrets, to exercise paging.
	n := pageSize + 20
	if testing.Short() {
		n = 20
	}
	createObjects(t, c, n)
	endpoint := c.Env.ControlPlane.Etcd.URL.String()

	rep, err := Verify(context.Background(), Options{Endpoints: []string{endpoint}, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	checkEncrypted(t, rep, n)

	t.Run("snapshot", func(t *testing.T) {
		path := saveSnapshot(t, endpoint)
		snap, err := Verify(context.Background(), Options{Snapshot: path})
		if err != nil {
			t.Fatal(err)
		}
		checkEncrypted(t, snap, n)
		if len(snap.Resources) != len(rep.Resources) {
			t.Errorf("snapshot has %d resources, live %d", len(snap.Resources), len(rep.Resources))
		}
	})

	t.Run("deleted secret is not counted", func(t *testing.T) {
		if err := c.Client.CoreV1().Secrets("default").Delete(context.Background(), "s0", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		path := saveSnapshot(t, endpoint)
		for name, o := range map[string]Options{"live": {Endpoints: []string{endpoint}}, "snapshot": {Snapshot: path}} {
			r, err := Verify(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if s, _ := r.Resource(SecretsResource); s.ByProvider["aescbc:key1"] != n-1 {
				t.Errorf("%s: secrets after a delete: %+v", name, s)
			}
		}
	})
}

func checkEncrypted(t *testing.T, rep *Report, n int) {
	t.Helper()
	assertNoMarker(t, rep)
	s, ok := rep.Resource(SecretsResource)
	if !ok || s.Total != n || s.ByProvider["aescbc:key1"] != n || s.Plaintext != 0 || rep.PlaintextSecrets != 0 {
		t.Errorf("secrets: %+v (plaintext secrets %d), want %d under aescbc:key1", s, rep.PlaintextSecrets, n)
	}
	cm, ok := rep.Resource("configmaps")
	// The API server may add its own ConfigMaps (kube-root-ca.crt needs a
	// controller, which is not running; extension-apiserver-authentication
	// in kube-system is there).
	if !ok || cm.Total < n || cm.Plaintext != cm.Total {
		t.Errorf("configmaps: %+v, want at least %d, all plaintext", cm, n)
	}
	if ns, ok := rep.Resource("namespaces"); !ok || ns.Plaintext == 0 {
		t.Errorf("namespaces: %+v", ns)
	}
	if as, ok := rep.Resource("apiservices.apiregistration.k8s.io"); !ok || as.Total == 0 {
		t.Errorf("apiservices not found in %+v", rep.Resources)
	}
}

// saveSnapshot writes an etcd snapshot of the cluster to a file.
func saveSnapshot(t *testing.T, endpoint string) string {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 10 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rc, err := cli.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	path := filepath.Join(t.TempDir(), "snapshot.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadFrom(rc); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
