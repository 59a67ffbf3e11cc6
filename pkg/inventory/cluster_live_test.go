package inventory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"

	"github.com/kharden/kharden/internal/testcluster"
	"github.com/kharden/kharden/pkg/inventory"
)

// applier creates objects in a test cluster through the dynamic client, as
// `kubectl apply --server-side` would.
type applier struct {
	t      testing.TB
	dyn    dynamic.Interface
	mapper meta.ResettableRESTMapper
}

func newApplier(t testing.TB, cfg *rest.Config) *applier {
	t.Helper()
	// Pod Security "would violate" warnings on the corpus are expected.
	cfg = rest.CopyConfig(cfg)
	cfg.WarningHandler = rest.NoWarnings{}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &applier{t: t, dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(cachedDiscovery{dc})}
}

// apply server-side-applies one object; namespaced objects without a
// namespace go to "default". It returns the server's error, if any.
func (a *applier) apply(ctx context.Context, obj map[string]any) error {
	u := &unstructured.Unstructured{Object: obj}
	gvk := u.GroupVersionKind()
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		a.mapper.Reset()
		if m, err = a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
			return err
		}
	}
	var ri dynamic.ResourceInterface = a.dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if u.GetNamespace() == "" {
			u.SetNamespace("default")
		}
		if err := a.ensureNamespace(ctx, u.GetNamespace()); err != nil {
			return err
		}
		ri = a.dyn.Resource(m.Resource).Namespace(u.GetNamespace())
	}
	_, err = ri.Apply(ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: "kharden-test", Force: true})
	return err
}

func (a *applier) ensureNamespace(ctx context.Context, ns string) error {
	nsGVR := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	if _, err := a.dyn.Resource(nsGVR).Get(ctx, ns, metav1.GetOptions{}); err == nil {
		return nil
	}
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}}
	_, err := a.dyn.Resource(nsGVR).Create(ctx, u, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// mustApplyYAML applies every document of a YAML string.
func (a *applier) mustApplyYAML(ctx context.Context, docs string) {
	a.t.Helper()
	for _, doc := range strings.Split(docs, "\n---\n") {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			a.t.Fatal(err)
		}
		if obj == nil {
			continue
		}
		if err := a.apply(ctx, obj); err != nil {
			a.t.Fatalf("applying %v: %v", obj["metadata"], err)
		}
	}
}

// cachedDiscovery adapts a discovery client to the interface the deferred
// REST mapper wants. It claims to be fresh, or the mapper would reset and
// retry forever on a kind the server does not serve; apply resets it once
// on a miss (a CRD created since).
type cachedDiscovery struct{ *discovery.DiscoveryClient }

func (cachedDiscovery) Fresh() bool { return true }
func (cachedDiscovery) Invalidate() {}

const liveFixture = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    pod-security.kubernetes.io/enforce: baseline
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:latest
---
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"stringData":{"password":"hunter2-live-value"}}'
stringData:
  password: hunter2-live-value
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ci
  namespace: shop
---
apiVersion: v1
kind: Secret
metadata:
  name: ci-token
  namespace: shop
  annotations:
    kubernetes.io/service-account.name: ci
type: kubernetes.io/service-account-token
`

const secretValue = "hunter2-live-value"

func TestLoadClusterLive(t *testing.T) {
	c := testcluster.Start(t, testcluster.Options{})
	ctx := context.Background()
	newApplier(t, c.Config).mustApplyYAML(ctx, liveFixture)

	var mu sync.Mutex
	var last inventory.ClusterProgress
	calls := 0
	inv, err := inventory.LoadCluster(ctx, inventory.ClusterOptions{Config: c.Config, ChunkSize: 2, Progress: func(p inventory.ClusterProgress) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		last = p
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range inv.Diagnostics {
		t.Errorf("diagnostic: %s", d)
	}
	if calls < 2 || last.Done != last.Total || last.Objects == 0 {
		t.Errorf("progress: %d calls, last %+v", calls, last)
	}

	dep := inv.Get(inventory.KindDeployment, "shop", "web")
	if len(dep) != 1 {
		t.Fatalf("deployment shop/web: %d objects", len(dep))
	}
	o := dep[0]
	if o.Origin != inventory.OriginCluster || o.Source.File != "" || o.Source.Line != 0 {
		t.Errorf("origin %s source %+v", o.Origin, o.Source)
	}
	if o.Ref.APIVersion != "apps/v1" || o.Ref.Kind != "Deployment" {
		t.Errorf("ref %+v", o.Ref)
	}
	if _, ok := o.Metadata()["managedFields"]; ok {
		t.Error("managedFields kept")
	}
	// Server defaulting is visible: the scan judges what runs.
	if p, _ := inventory.StringAt(o.Content, "spec", "template", "spec", "restartPolicy"); p != "Always" {
		t.Errorf("restartPolicy %q: not the server's object", p)
	}

	// Secrets: metadata only, the token type kept, no value anywhere.
	db := inv.Get(inventory.KindSecret, "shop", "db")
	tok := inv.Get(inventory.KindSecret, "shop", "ci-token")
	if len(db) != 1 || len(tok) != 1 {
		t.Fatalf("secrets: %d %d", len(db), len(tok))
	}
	if _, ok := db[0].Content["data"]; ok {
		t.Error("Secret data listed")
	}
	if typ, _ := tok[0].Content["type"].(string); typ != "kubernetes.io/service-account-token" {
		t.Errorf("token Secret type %q", typ)
	}
	if _, ok := db[0].Content["type"]; ok {
		t.Error("an Opaque Secret got a type it was not listed with")
	}
	all, _ := json.Marshal(inv.Objects)
	if strings.Contains(string(all), secretValue) || strings.Contains(string(all), "aHVudGVyMi1saXZlLXZhbHVl") {
		t.Error("a Secret value reached the inventory")
	}

	// One namespace: its objects and the Namespace itself, nothing
	// cluster-scoped besides.
	inv, err = inventory.LoadCluster(ctx, inventory.ClusterOptions{Config: c.Config, Namespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range inv.Objects {
		if o.Ref.Namespace != "shop" && !(o.GK == inventory.KindNamespace && o.Ref.Name == "shop") {
			t.Errorf("namespaced scan read %s %s/%s", o.GK, o.Ref.Namespace, o.Ref.Name)
		}
	}
	if len(inv.Get(inventory.KindNamespace, "", "shop")) != 1 || len(inv.Get(inventory.KindDeployment, "shop", "web")) != 1 {
		t.Error("namespaced scan misses the namespace or its deployment")
	}
	if len(inv.Errors()) > 0 {
		t.Errorf("errors: %v", inv.Errors())
	}

	inv, err = inventory.LoadCluster(ctx, inventory.ClusterOptions{Config: c.Config, Namespace: "absent"})
	if err != nil {
		t.Fatal(err)
	}
	if errs := inv.Errors(); len(errs) != 1 || !strings.Contains(errs[0].Message, `namespace "absent" does not exist`) {
		t.Errorf("absent namespace: %v", errs)
	}
}

// TestLoadClusterFaults: what the credentials may not see is a note, a
// server that cannot be used is one clear error, a server lost mid-scan
// gives a partial result.
func TestLoadClusterFaults(t *testing.T) {
	c := testcluster.Start(t, testcluster.Options{})
	ctx := context.Background()
	a := newApplier(t, c.Config)
	a.mustApplyYAML(ctx, liveFixture)

	t.Run("forbidden", func(t *testing.T) {
		// A user who may list pods and nothing else.
		a.mustApplyYAML(ctx, `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pods-only}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: pods-only}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pods-only}
subjects:
- {kind: User, name: pod-lister, apiGroup: rbac.authorization.k8s.io}
`)
		inv, err := inventory.LoadCluster(ctx, inventory.ClusterOptions{Config: c.ConfigFor(t, "pod-lister")})
		if err != nil {
			t.Fatal(err)
		}
		if errs := inv.Errors(); len(errs) > 0 {
			t.Errorf("errors: %v", errs)
		}
		notes := map[string]bool{}
		for _, d := range inv.Diagnostics {
			notes[d.Message] = d.Warning
		}
		for _, want := range []string{"not visible: secrets: forbidden", "not visible: deployments.apps: forbidden", "not visible: namespaces: forbidden"} {
			if w, ok := notes[want]; !ok || !w {
				t.Errorf("no warning %q in %v", want, notes)
			}
		}
	})

	t.Run("wrong credentials", func(t *testing.T) {
		cfg := rest.CopyConfig(c.Config)
		cfg.CertData, cfg.KeyData = nil, nil
		cfg.BearerToken = "not-a-token"
		_, err := inventory.LoadCluster(ctx, inventory.ClusterOptions{Config: cfg})
		if err == nil || !strings.Contains(err.Error(), "401 Unauthorized") || strings.Contains(err.Error(), "\n") {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("unreachable", func(t *testing.T) {
		for _, host := range []string{closedPort(t), "https://10.255.255.1:6443"} {
			cfg := rest.CopyConfig(c.Config)
			cfg.Host = host
			start := time.Now()
			_, err := inventory.LoadCluster(ctx, inventory.ClusterOptions{Config: cfg, RequestTimeout: 2 * time.Second})
			took := time.Since(start)
			if err == nil || !strings.Contains(err.Error(), "cannot reach the API server at "+host) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s: err = %v", host, err)
			}
			if took > 4*time.Second {
				t.Errorf("%s: took %s with a 2s request timeout", host, took)
			}
		}
	})

	t.Run("undecodable custom resources", func(t *testing.T) {
		// Objects stored as v1; v2 is preferred and needs a conversion
		// webhook nobody serves: the server cannot return them.
		a.mustApplyYAML(ctx, crontabCRD(closedPort(t)))
		waitServed(t, c.Config, schema.GroupVersion{Group: "stable.example.com", Version: "v1"}, "crontabs")
		cfgV1 := map[string]any{"apiVersion": "stable.example.com/v1", "kind": "CronTab",
			"metadata": map[string]any{"name": "nightly", "namespace": "shop"}, "spec": map[string]any{"schedule": "@daily"}}
		if err := a.apply(ctx, cfgV1); err != nil {
			t.Fatal(err)
		}
		inv, err := inventory.LoadCluster(ctx, inventory.ClusterOptions{Config: c.Config, Retries: 1, Backoff: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, d := range inv.Diagnostics {
			if strings.HasPrefix(d.Message, "not visible: crontabs.stable.example.com: objects could not be decoded") && d.Warning {
				found = true
			}
		}
		if !found || len(inv.Errors()) > 0 {
			t.Errorf("diagnostics: %v", inv.Diagnostics)
		}
		if len(inv.Get(inventory.KindDeployment, "shop", "web")) != 1 {
			t.Error("the rest of the cluster was not read")
		}
	})

	t.Run("aggregated API down", func(t *testing.T) {
		a.mustApplyYAML(ctx, `apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.example.com}
spec:
  group: metrics.example.com
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  insecureSkipTLSVerify: true
  service: {name: absent, namespace: default, port: 443}
`)
		inv, err := inventory.LoadCluster(ctx, inventory.ClusterOptions{Config: c.Config})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, d := range inv.Diagnostics {
			if strings.HasPrefix(d.Message, "not visible: metrics.example.com/v1beta1: discovery failed") && d.Warning {
				found = true
			}
		}
		if !found {
			t.Errorf("diagnostics: %v", inv.Diagnostics)
		}
		if len(inv.Get(inventory.KindDeployment, "shop", "web")) != 1 {
			t.Error("the rest of the cluster was not read")
		}
	})

	// Last: it stops the API server.
	t.Run("server stopped mid-scan", func(t *testing.T) {
		var once sync.Once
		inv, err := inventory.LoadCluster(ctx, inventory.ClusterOptions{Config: c.Config, Parallelism: 1, Retries: 2, Backoff: 20 * time.Millisecond,
			Progress: func(p inventory.ClusterProgress) {
				// Stop once something has been read: resources are listed in
				// no fixed order, and the first ones may be empty.
				if p.Done >= 3 && p.Objects > 0 {
					once.Do(func() {
						if err := c.Env.ControlPlane.APIServer.Stop(); err != nil {
							t.Errorf("stopping the API server: %v", err)
						}
					})
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
		errs := inv.Errors()
		if len(errs) == 0 {
			t.Fatal("no partial-result error after the API server stopped")
		}
		for _, e := range errs {
			if !strings.HasPrefix(e.Message, "partial result: ") || !strings.Contains(e.Message, " could not be listed: ") {
				t.Errorf("error %q", e.Message)
			}
		}
		if len(inv.Objects) == 0 {
			t.Error("what was read before the stop is lost")
		}
	})
}

// closedPort returns an https address where nothing listens.
func closedPort(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "https://" + addr
}

func crontabCRD(webhookURL string) string {
	return fmt.Sprintf(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: crontabs.stable.example.com}
spec:
  group: stable.example.com
  names: {kind: CronTab, plural: crontabs, singular: crontab, listKind: CronTabList}
  scope: Namespaced
  conversion:
    strategy: Webhook
    webhook:
      conversionReviewVersions: [v1]
      clientConfig: {url: "%s/convert"}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
  - name: v2
    served: true
    storage: false
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`, webhookURL)
}

// waitServed waits until discovery lists a resource (a new CRD takes a
// moment).
func waitServed(t testing.TB, cfg *rest.Config, gv schema.GroupVersion, resource string) {
	t.Helper()
	dc := discovery.NewDiscoveryClientForConfigOrDie(cfg)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if l, err := dc.ServerResourcesForGroupVersion(gv.String()); err == nil {
			for _, r := range l.APIResources {
				if r.Name == resource {
					return
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s/%s never served", gv, resource)
}
