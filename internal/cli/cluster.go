package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/homedir"

	"github.com/kharden/kharden/pkg/inventory"
)

// clusterFlags are the flags of `kharden scan` that reach a live cluster.
// -n/--namespace is the scan command's own flag: with --cluster it restricts
// the scan to that namespace.
type clusterFlags struct {
	cluster       bool
	allNamespaces bool
	chunkSize     int64
	kube          *genericclioptions.ConfigFlags
}

func (c *clusterFlags) addFlags(fl *pflag.FlagSet) {
	fl.BoolVar(&c.cluster, "cluster", false, "scan the live cluster of the kubeconfig (the default when no path is given and a kubeconfig is present)")
	fl.BoolVarP(&c.allNamespaces, "all-namespaces", "A", false, "with --cluster: scan every namespace and the cluster-scoped resources (the default unless -n)")
	fl.Int64Var(&c.chunkSize, "chunk-size", inventory.DefaultChunkSize, "with --cluster: objects per list request")
	c.kube = genericclioptions.NewConfigFlags(false)
	// scan has its own -n, and --cluster is the scan switch, not kubectl's
	// kubeconfig-cluster override; basic auth and the discovery cache are
	// not used.
	c.kube.Namespace = nil
	c.kube.ClusterName = nil
	c.kube.CacheDir = nil
	c.kube.Username = nil
	c.kube.Password = nil
	c.kube.ImpersonateUID = nil
	c.kube.ImpersonateUserExtra = nil
	c.kube.DisableCompression = nil
	c.kube.AddFlags(fl)
	// kubectl's zero means no timeout; a scan must end, so zero means the
	// default here.
	if t := fl.Lookup("request-timeout"); t != nil {
		t.Usage = fmt.Sprintf("with --cluster: how long to wait for each request to the API server, e.g. 10s (0: %s)", inventory.DefaultRequestTimeout)
	}
}

// explicit reports whether a kubeconfig-related flag was given.
func (c *clusterFlags) explicit(fl *pflag.FlagSet) bool {
	for _, name := range []string{"kubeconfig", "context", "server", "user", "token", "all-namespaces", "chunk-size"} {
		if f := fl.Lookup(name); f != nil && f.Changed {
			return true
		}
	}
	return false
}

// kubeconfigPresent reports whether a cluster could be scanned without any
// flag: $KUBECONFIG names a file that exists, ~/.kube/config exists, or the
// process runs in a pod with a ServiceAccount token.
func kubeconfigPresent() bool {
	if env := os.Getenv(clientcmd.RecommendedConfigPathEnvVar); env != "" {
		for _, p := range filepath.SplitList(env) {
			if fileExists(p) {
				return true
			}
		}
		return false
	}
	if fileExists(filepath.Join(homedir.HomeDir(), clientcmd.RecommendedHomeDir, clientcmd.RecommendedFileName)) {
		return true
	}
	return inCluster()
}

// inCluster reports whether the process runs in a pod with a ServiceAccount
// token (what client-go's in-cluster configuration needs).
func inCluster() bool {
	return os.Getenv("KUBERNETES_SERVICE_HOST") != "" && os.Getenv("KUBERNETES_SERVICE_PORT") != "" &&
		fileExists("/var/run/secrets/kubernetes.io/serviceaccount/token")
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// clusterTarget is what a cluster scan reads, resolved from the flags.
type clusterTarget struct {
	opts  inventory.ClusterOptions
	label string // for the report: context and server
}

// resolveCluster reads the kubeconfig (flags, $KUBECONFIG, ~/.kube/config,
// in-cluster) into load options. Errors are one line: a context that does not
// exist, no configuration at all, a bad --request-timeout.
func (c *clusterFlags) resolve(namespace string) (*clusterTarget, error) {
	if c.allNamespaces && namespace != "" {
		return nil, fmt.Errorf("-n/--namespace and -A/--all-namespaces exclude each other")
	}
	if c.chunkSize <= 0 {
		return nil, fmt.Errorf("--chunk-size must be positive")
	}
	loader := c.kube.ToRawKubeConfigLoader()
	// client-go falls back to http://localhost:8080 when there is no
	// configuration at all; a scanner should say so instead.
	if raw, err := loader.RawConfig(); err == nil && len(raw.Clusters) == 0 &&
		(c.kube.APIServer == nil || *c.kube.APIServer == "") && !inCluster() {
		return nil, fmt.Errorf("no kubeconfig found: give --kubeconfig, set KUBECONFIG, or run inside a cluster")
	}
	cfg, err := loader.ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, fmt.Errorf("no kubeconfig found: give --kubeconfig, set KUBECONFIG, or run inside a cluster")
		}
		return nil, fmt.Errorf("kubeconfig: %s", strings.Join(strings.Fields(err.Error()), " "))
	}
	label := cfg.Host
	if raw, err := loader.RawConfig(); err == nil {
		name := raw.CurrentContext
		if c.kube.Context != nil && *c.kube.Context != "" {
			name = *c.kube.Context
		}
		if name != "" {
			label = fmt.Sprintf("context %s (%s)", name, cfg.Host)
		}
	}
	if namespace != "" {
		label += ", namespace " + namespace
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = inventory.DefaultRequestTimeout
	}
	return &clusterTarget{
		label: label,
		opts: inventory.ClusterOptions{
			Config: cfg, Namespace: namespace, ChunkSize: c.chunkSize,
			Parallelism: inventory.DefaultParallelism, RequestTimeout: timeout,
		},
	}, nil
}

// progressHook, when set, sees the progress of every cluster load: tests use
// it to stop the API server in the middle of a scan.
var progressHook func(inventory.ClusterProgress)

// loadCluster reads the live cluster, with a progress bar on stderr when it
// is a terminal.
func loadCluster(ctx context.Context, t *clusterTarget, stderr io.Writer) (*inventory.Inventory, error) {
	opts := t.opts
	var bar *progressbar.ProgressBar
	if progressHook != nil {
		opts.Progress = progressHook
	} else if isTerminal(stderr) {
		opts.Progress = func(p inventory.ClusterProgress) {
			if bar == nil {
				bar = progressbar.NewOptions(p.Total,
					progressbar.OptionSetWriter(stderr),
					progressbar.OptionSetDescription("listing resources"),
					progressbar.OptionShowCount(),
					progressbar.OptionClearOnFinish(),
					progressbar.OptionThrottle(100*time.Millisecond))
			}
			bar.Describe(fmt.Sprintf("listing resources (%d objects)", p.Objects))
			_ = bar.Set(p.Done)
		}
	}
	inv, err := inventory.LoadCluster(ctx, opts)
	if bar != nil {
		_ = bar.Finish()
	}
	return inv, err
}
