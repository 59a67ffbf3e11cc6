// Package testcluster starts a real kube-apiserver and etcd (and, on request,
// kube-controller-manager) for tests, through controller-runtime's envtest,
// with the binaries hack/cluster-binaries.sh builds from the Go module proxy.
// The API server really authorises (RBAC), admits (PSA, ValidatingAdmissionPolicy,
// webhooks), audits and encrypts: tests use it for everything the server
// decides.
//
// Tests that need it call Start. When the binaries are missing, Start skips
// the test — unless the environment variable CI is set, when it fails it.
//
//	c := testcluster.Start(t, testcluster.Options{Controllers: []string{"serviceaccount"}})
//	alice := kubernetes.NewForConfigOrDie(c.ConfigFor(t, "alice", "team-a"))
//
// Everything the cluster writes (configuration, certificates, etcd data,
// logs) is in Cluster.Dir, removed with the test's temporary directory;
// every process is stopped by the test's cleanup.
package testcluster

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Options select what the API server runs with. The zero value is an API
// server with RBAC authorisation and the default admission plugins.
type Options struct {
	// AuditPolicy is an audit.k8s.io/v1 Policy document; when set the server
	// writes its audit log to Cluster.AuditLogPath (JSON lines).
	AuditPolicy []byte
	// AuditWebhookKubeconfig is a kubeconfig naming an audit webhook backend.
	// It needs AuditPolicy too (the policy decides what is audited). Events
	// are sent in batches of at most one second.
	AuditWebhookKubeconfig []byte
	// EncryptionConfig is an apiserver.config.k8s.io EncryptionConfiguration.
	EncryptionConfig []byte
	// AuthorizationModes replaces the default ["RBAC"] (e.g. ["Node", "RBAC"]).
	AuthorizationModes []string
	// AnonymousAuth turns anonymous requests on (off by default). Off, the
	// server still lets anonymous requests reach /healthz, /livez and /readyz
	// (envtest's readiness probe is anonymous) through an
	// AuthenticationConfiguration file; every other unauthenticated request
	// gets 401.
	AnonymousAuth bool
	// AdmissionPlugins are enabled in addition to the defaults;
	// DisableAdmissionPlugins are turned off. ServiceAccount is disabled
	// unless listed in AdmissionPlugins (envtest's default: without the
	// serviceaccount controller no namespace has a default ServiceAccount).
	AdmissionPlugins        []string
	DisableAdmissionPlugins []string
	// Flags are extra kube-apiserver flags, name (without "--") -> values;
	// they replace what Start would pass for that name.
	Flags map[string][]string
	// Controllers starts kube-controller-manager with exactly these
	// controllers (e.g. "clusterrole-aggregation", "serviceaccount",
	// "serviceaccount-token", "namespace"); none starts no controller manager.
	Controllers []string
}

// Cluster is a running API server.
type Cluster struct {
	Env *envtest.Environment
	// Config is a cluster-admin client configuration (user kharden-admin in
	// group system:masters).
	Config *rest.Config
	// Client is a clientset for Config.
	Client kubernetes.Interface
	// Dir is a private directory for the cluster's files (configuration,
	// certificates, etcd data, logs: kube-apiserver.log, etcd.log,
	// kube-controller-manager.log), removed at the end of the test.
	Dir string
	// AuditLogPath is where the audit log goes when Options.AuditPolicy is set.
	AuditLogPath string
	// KubeconfigPath is an admin kubeconfig for the cluster (for CLIs).
	KubeconfigPath string

	mu  sync.Mutex // guards AddUser and kubeconfig file names
	kcm *process
}

// adminUser is the user behind Cluster.Config; audit events of the tests'
// admin requests carry this name.
const adminUser = "kharden-admin"

// startTimeout bounds each process' start; the machines running the tests
// are often loaded, so envtest's 20s default is short. The environment
// variable KUBEBUILDER_CONTROLPLANE_START_TIMEOUT overrides it.
const startTimeout = 60 * time.Second

// Start starts a cluster for a test and stops it at the end of the test.
// Share one cluster between subtests where the options allow: a start
// takes a few seconds.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	assets, ok := Assets()
	if !ok {
		msg := "kube-apiserver, etcd and kube-controller-manager not found (in $KUBEBUILDER_ASSETS or " +
			filepath.Join(cacheDir(), "cluster", "kubernetes-*") + "): run hack/cluster-binaries.sh"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}

	c := &Cluster{Dir: t.TempDir()}
	logs, err := openLogs(c.Dir, "kube-apiserver.log", "etcd.log")
	if err != nil {
		t.Fatalf("testcluster: %v", err)
	}
	env := &envtest.Environment{BinaryAssetsDirectory: assets}
	if os.Getenv("KUBEBUILDER_CONTROLPLANE_START_TIMEOUT") == "" {
		env.ControlPlaneStartTimeout = startTimeout
	}
	api := env.ControlPlane.GetAPIServer()
	api.CertDir = filepath.Join(c.Dir, "apiserver")
	api.Out, api.Err = logs[0], logs[0]
	env.ControlPlane.Etcd = &envtest.Etcd{DataDir: filepath.Join(c.Dir, "etcd"), Out: logs[1], Err: logs[1]}
	for _, d := range []string{api.CertDir, env.ControlPlane.Etcd.DataDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatalf("testcluster: %v", err)
		}
	}

	flags, err := c.writeServerFiles(opts)
	if err != nil {
		t.Fatalf("testcluster: %v", err)
	}
	args := api.Configure()
	for _, f := range flags {
		args.Set(f.name, f.values...)
	}

	c.Env = env
	// Registered before starting so that a half-started control plane
	// (envtest stops what it started on error, but not always everything)
	// is stopped too. Runs before t.TempDir's removal (cleanups are LIFO).
	t.Cleanup(func() {
		if err := c.stop(); err != nil {
			t.Errorf("testcluster: stopping: %v", err)
		}
		for _, l := range logs {
			_ = l.Close()
		}
	})
	if _, err := env.Start(); err != nil {
		t.Fatalf("testcluster: starting kube-apiserver: %v\n%s", err, tail(filepath.Join(c.Dir, "kube-apiserver.log"), 30))
	}

	// A user of our own rather than envtest's "admin", so that audit events
	// name it.
	admin, err := env.AddUser(envtest.User{Name: adminUser, Groups: []string{"system:masters"}},
		&rest.Config{QPS: 1000, Burst: 2000})
	if err != nil {
		t.Fatalf("testcluster: adding the admin user: %v", err)
	}
	c.Config = admin.Config()
	c.Client, err = kubernetes.NewForConfig(c.Config)
	if err != nil {
		t.Fatalf("testcluster: %v", err)
	}
	c.KubeconfigPath = filepath.Join(c.Dir, "admin.kubeconfig")
	if err := writeKubeconfig(c.KubeconfigPath, adminUser, c.Config); err != nil {
		t.Fatalf("testcluster: %v", err)
	}
	if len(opts.Controllers) > 0 {
		if err := c.startControllerManager(assets, opts.Controllers); err != nil {
			t.Fatalf("testcluster: %v\n%s", err, tail(filepath.Join(c.Dir, "kube-controller-manager.log"), 30))
		}
	}
	return c
}

// stop stops the controller manager, then the API server and etcd.
func (c *Cluster) stop() error {
	var errs []error
	if c.kcm != nil {
		errs = append(errs, c.kcm.stop())
	}
	if c.Env != nil {
		errs = append(errs, c.Env.Stop())
	}
	return errors.Join(errs...)
}

// waitFor polls cond every 100ms until it is true or timeout passes.
func waitFor(timeout time.Duration, cond func(ctx context.Context) (bool, error)) error {
	return wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, timeout, true, cond)
}
