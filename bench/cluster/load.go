package cluster

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// resources maps the generator's kinds to their resources.
var resources = map[string]schema.GroupVersionResource{
	"Namespace":      {Version: "v1", Resource: "namespaces"},
	"ServiceAccount": {Version: "v1", Resource: "serviceaccounts"},
	"Service":        {Version: "v1", Resource: "services"},
	"ConfigMap":      {Version: "v1", Resource: "configmaps"},
	"Secret":         {Version: "v1", Resource: "secrets"},
	"Pod":            {Version: "v1", Resource: "pods"},
	"Role":           {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"},
	"RoleBinding":    {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"},
	"Deployment":     {Group: "apps", Version: "v1", Resource: "deployments"},
	"ReplicaSet":     {Group: "apps", Version: "v1", Resource: "replicasets"},
	"StatefulSet":    {Group: "apps", Version: "v1", Resource: "statefulsets"},
	"DaemonSet":      {Group: "apps", Version: "v1", Resource: "daemonsets"},
	"Job":            {Group: "batch", Version: "v1", Resource: "jobs"},
}

// Load creates the plan's objects wave by wave with workers parallel
// creates, pods and ReplicaSets with ownerReferences to what was created
// before them. An object that already exists is kept (a second Load on the
// same server adds nothing). It returns the time it took.
func Load(ctx context.Context, cfg *rest.Config, p *Plan, workers int) (time.Duration, error) {
	start := time.Now()
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = -1, 0             // no client-side throttling: the server's flow control decides
	cfg.WarningHandler = rest.NoWarnings{} // PSA warnings on the careless pods are expected
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return 0, err
	}
	if workers < 1 {
		workers = 16
	}
	type ref struct {
		uid        types.UID
		apiVersion string
		kind, name string
	}
	refs := make([][]ref, len(p.Waves))
	for wi, wave := range p.Waves {
		refs[wi] = make([]ref, len(wave))
		var next atomic.Int64
		var firstErr error
		var once sync.Once
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1) - 1)
					if i >= len(wave) || ctx.Err() != nil {
						return
					}
					o := wave[i]
					u := &unstructured.Unstructured{Object: deepCopy(o.Content)}
					if o.Owner >= 0 {
						ow, oi := OwnerAt(o, wi)
						owner := refs[ow][oi]
						u.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: owner.apiVersion, Kind: owner.kind,
							Name: owner.name, UID: owner.uid, Controller: ptr(true), BlockOwnerDeletion: ptr(true)}})
					}
					gvr, ok := resources[u.GetKind()]
					if !ok {
						once.Do(func() { firstErr = fmt.Errorf("no resource for kind %s", u.GetKind()) })
						return
					}
					var ri dynamic.ResourceInterface = dyn.Resource(gvr)
					if ns := u.GetNamespace(); ns != "" {
						ri = dyn.Resource(gvr).Namespace(ns)
					}
					got, err := ri.Create(ctx, u, metav1.CreateOptions{})
					if apierrors.IsAlreadyExists(err) {
						got, err = ri.Get(ctx, u.GetName(), metav1.GetOptions{})
					}
					if err != nil {
						once.Do(func() { firstErr = fmt.Errorf("%s %s/%s: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err) })
						return
					}
					refs[wi][i] = ref{uid: got.GetUID(), apiVersion: got.GetAPIVersion(), kind: got.GetKind(), name: got.GetName()}
				}
			}()
		}
		wg.Wait()
		if firstErr != nil {
			return time.Since(start), firstErr
		}
		if err := ctx.Err(); err != nil {
			return time.Since(start), err
		}
	}
	return time.Since(start), nil
}

func ptr[T any](v T) *T { return &v }
