package inventory

import (
	"context"
	"errors"
	"fmt"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
)

// ClusterOptions configure LoadCluster.
type ClusterOptions struct {
	// Config reaches the API server (from a kubeconfig, in-cluster, or a
	// test). It is copied, never modified.
	Config *rest.Config
	// Namespace restricts the scan to one namespace: its namespaced
	// resources and the Namespace object itself. Empty scans every namespace
	// and the cluster-scoped resources.
	Namespace string
	// ChunkSize is the page size of list requests (default 500).
	ChunkSize int64
	// Parallelism bounds the resources listed at once (default 4).
	Parallelism int
	// RequestTimeout bounds each request, and the first contact with the
	// server (default 30s).
	RequestTimeout time.Duration
	// Progress, when set, is called after discovery and after each resource
	// is listed. Calls are serialised.
	Progress func(ClusterProgress)
	// Retries is how many times a request failing transiently (connection
	// refused or reset, 5xx, 429, timeouts) is tried again (default 5).
	// Backoff is the first wait, doubled each time (default 250ms).
	Retries int
	Backoff time.Duration
	// Kinds, when set, restricts the load to resources of these group/kinds
	// (an RBAC analysis needs roles, bindings, ServiceAccounts and
	// workloads, not every object of the cluster).
	Kinds []schema.GroupKind
}

// ClusterProgress reports how far a cluster load is.
type ClusterProgress struct {
	// Resources to list in total, and listed so far (failed ones included).
	Total, Done int
	// Resource just listed ("deployments.apps"); empty after discovery.
	Resource string
	// Objects read so far.
	Objects int
}

// Defaults for ClusterOptions.
const (
	DefaultChunkSize      = 500
	DefaultParallelism    = 4
	DefaultRequestTimeout = 30 * time.Second
	defaultRetries        = 5
	defaultBackoff        = 250 * time.Millisecond
)

// clientQPS and clientBurst replace client-go's default of 5 requests per
// second, which would make a scan of a hundred resources crawl; kubectl's
// discovery uses the same order of magnitude.
const (
	clientQPS   = 50
	clientBurst = 100
)

// LoadCluster reads every object the credentials may list from a live API
// server into an inventory: discovery of every listable resource (one
// preferred version per group and resource), paged lists through the dynamic
// client with bounded parallelism, Secrets as metadata only. Objects have
// Origin OriginCluster and no source file.
//
// What the credentials may not list, and objects that cannot be decoded,
// become warning diagnostics ("not visible: ..."). A resource that still
// fails after retries makes the result partial: an error diagnostic, so the
// scan reports what it read and exits 2. The error return is for a server
// that cannot be used at all: unreachable, credentials rejected, discovery
// refused.
func LoadCluster(ctx context.Context, opts ClusterOptions) (*Inventory, error) {
	if opts.Config == nil {
		return nil, errors.New("no cluster configuration")
	}
	opts = opts.withDefaults()
	cfg := rest.CopyConfig(opts.Config)
	if cfg.Timeout == 0 {
		cfg.Timeout = opts.RequestTimeout
	}
	// API warnings (deprecated resources listed by discovery) are not the
	// user's to act on here and would otherwise go to stderr via klog.
	cfg.WarningHandler = rest.NoWarnings{}
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = clientQPS, clientBurst
	}

	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster client: %w", err)
	}
	// The dynamic client's configuration, JSON only: list pages are read as
	// raw bytes through rc and decoded once (listPage); dyn shares rc.
	dcfg := dynamic.ConfigFor(cfg)
	dcfg.ContentType, dcfg.AcceptContentTypes = "application/json", "application/json"
	dcfg.GroupVersion, dcfg.APIPath = nil, "/"
	rc, err := rest.UnversionedRESTClientFor(dcfg)
	if err != nil {
		return nil, fmt.Errorf("cluster client: %w", err)
	}
	dyn := dynamic.New(rc)
	meta, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster client: %w", err)
	}

	// First contact, bounded by the request timeout as a whole (a
	// black-holed address would otherwise wait for TCP timeouts).
	first, cancel := context.WithTimeout(ctx, opts.RequestTimeout)
	_, err = dc.ServerVersionWithContext(first)
	cancel()
	if err != nil {
		return nil, contactError(cfg.Host, err)
	}

	resources, diags, err := discoverResources(ctx, dc, opts.Namespace != "")
	if err != nil {
		return nil, contactError(cfg.Host, err)
	}
	if len(opts.Kinds) > 0 {
		keep := map[schema.GroupKind]bool{}
		for _, gk := range opts.Kinds {
			keep[CanonicalGroupKind(gk)] = true
		}
		kept := resources[:0]
		for _, r := range resources {
			if keep[CanonicalGroupKind(schema.GroupKind{Group: r.GVR.Group, Kind: r.Kind})] {
				kept = append(kept, r)
			}
		}
		resources = kept
	}
	l := &clusterLoader{opts: opts, rc: rc, dyn: dyn, meta: meta, total: len(resources)}
	l.progress("")

	results := make([][]*Object, len(resources))
	resDiags := make([][]Diagnostic, len(resources))
	sem := make(chan struct{}, opts.Parallelism)
	var wg sync.WaitGroup
	for i, r := range resources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				resDiags[i] = []Diagnostic{partialDiagnostic(r, ctx.Err())}
				return
			}
			defer func() { <-sem }()
			results[i], resDiags[i] = l.load(ctx, r)
			l.progress(r.String())
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	b := &Builder{}
	if opts.Namespace != "" {
		ns, d := l.namespaceObject(ctx, opts.Namespace)
		if ns != nil {
			b.Add(ns)
		}
		diags = append(diags, d...)
	}
	for i := range resources {
		for _, o := range results[i] {
			b.Add(o)
		}
		diags = append(diags, resDiags[i]...)
	}
	for _, d := range diags {
		b.AddDiagnostic(d)
	}
	return b.Build(), nil
}

func (o ClusterOptions) withDefaults() ClusterOptions {
	if o.ChunkSize <= 0 {
		o.ChunkSize = DefaultChunkSize
	}
	if o.Parallelism <= 0 {
		o.Parallelism = DefaultParallelism
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.Retries <= 0 {
		o.Retries = defaultRetries
	}
	if o.Backoff <= 0 {
		o.Backoff = defaultBackoff
	}
	return o
}

// contactError turns the failure of the first requests into one line that
// says what to do.
func contactError(host string, err error) error {
	switch {
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("the API server at %s rejected the credentials (401 Unauthorized): they are wrong or expired; log in again or check the kubeconfig user", host)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("the API server at %s refused discovery (403 Forbidden): the user may not read the API's resource list", host)
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Errorf("cannot reach the API server at %s: no answer within the request timeout", host)
	case errors.Is(err, context.Canceled):
		return err
	}
	return fmt.Errorf("cannot reach the API server at %s: %s", host, oneLine(rootCause(err).Error()))
}

// rootCause strips url.Error's "Get \"https://...\": " prefix, which repeats
// the host and a long path.
func rootCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// clusterLoader lists resources and reports progress.
type clusterLoader struct {
	opts ClusterOptions
	rc   rest.Interface // the dynamic client's, for raw list pages
	dyn  dynamic.Interface
	meta metadata.Interface

	// serverGone is set when the server stopped answering for good.
	serverGone atomic.Bool

	mu      sync.Mutex
	total   int
	done    int
	objects int
}

func (l *clusterLoader) progress(resource string) {
	if l.opts.Progress == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if resource != "" {
		l.done++
	}
	l.opts.Progress(ClusterProgress{Total: l.total, Done: l.done, Resource: resource, Objects: l.objects})
}

func (l *clusterLoader) countObjects(n int) {
	l.mu.Lock()
	l.objects += n
	l.mu.Unlock()
}
