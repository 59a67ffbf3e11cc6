package testcluster

import (
	"os"
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// ConfigFor returns a client configuration authenticating as a user with
// groups (a client certificate signed by the cluster's CA), so that RBAC
// really applies to its requests. The server adds system:authenticated.
func (c *Cluster) ConfigFor(t testing.TB, user string, groups ...string) *rest.Config {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	u, err := c.Env.AddUser(envtest.User{Name: user, Groups: groups}, &rest.Config{QPS: 1000, Burst: 2000})
	if err != nil {
		t.Fatalf("testcluster: adding user %q: %v", user, err)
	}
	return u.Config()
}

// KubeconfigFor writes a kubeconfig file for a user and returns its path
// (in Dir; each call writes a new file with a new certificate).
func (c *Cluster) KubeconfigFor(t testing.TB, user string, groups ...string) string {
	t.Helper()
	cfg := c.ConfigFor(t, user, groups...)
	f, err := os.CreateTemp(c.Dir, "user-*.kubeconfig")
	if err != nil {
		t.Fatalf("testcluster: %v", err)
	}
	_ = f.Close()
	if err := writeKubeconfig(f.Name(), user, cfg); err != nil {
		t.Fatalf("testcluster: %v", err)
	}
	return f.Name()
}

// writeKubeconfig writes a kubeconfig with one cluster, user and context
// ("testcluster"), credentials inline.
func writeKubeconfig(path, user string, cfg *rest.Config) error {
	const name = "testcluster"
	kc := clientcmdapi.NewConfig()
	kc.Clusters[name] = &clientcmdapi.Cluster{
		Server:                   cfg.Host,
		CertificateAuthorityData: cfg.CAData,
	}
	kc.AuthInfos[user] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData,
		ClientKeyData:         cfg.KeyData,
	}
	kc.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: user, Namespace: "default"}
	kc.CurrentContext = name
	return clientcmd.WriteToFile(*kc, path)
}
