package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/kharden/kharden/pkg/inventory"
)

// fieldManager owns what the lab applies (server-side apply), so applying a
// scenario twice changes nothing.
const fieldManager = "kharden-lab"

// decodeManifests splits YAML or JSON documents into objects, skipping empty
// documents and flattening v1 Lists.
func decodeManifests(name string, data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(m) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if u.IsList() {
			if err := u.EachListItem(func(o runtime.Object) error {
				out = append(out, o.(*unstructured.Unstructured))
				return nil
			}); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			continue
		}
		if u.GetKind() == "" || u.GetAPIVersion() == "" {
			return nil, fmt.Errorf("%s: a document without apiVersion and kind", name)
		}
		out = append(out, u)
	}
}

// applyOrder puts what others refer to first: namespaces and definitions,
// then identities and RBAC, then configuration, then workloads.
func applyOrder(gk schema.GroupKind) int {
	switch gk {
	case inventory.KindNamespace:
		return 0
	case kindCRD:
		return 1
	case inventory.KindServiceAccount, inventory.KindClusterRole, inventory.KindRole:
		return 2
	case inventory.KindClusterRoleBinding, inventory.KindRoleBinding:
		return 3
	case inventory.KindSecret, inventory.KindConfigMap, inventory.KindService:
		return 4
	case inventory.KindPod:
		return 6
	}
	return 5
}

// kindCRD is not among inventory's Kind* values: no check reads it.
var kindCRD = schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}

// applier applies objects with server-side apply through the dynamic client.
type applier struct {
	dyn    dynamic.Interface
	mapper meta.ResettableRESTMapper
}

func newApplier(cfg *rest.Config) (*applier, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &applier{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}, nil
}

// apply applies objects in dependency order, creating the namespaces they
// live in when no object of the set declares them. It retries what fails
// only because something is not there yet (a ServiceAccount the controller
// manager is about to create, a freshly created CRD) for up to a minute.
func (a *applier) apply(ctx context.Context, objs []*unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	declared := map[string]bool{}
	for _, o := range objs {
		if o.GroupVersionKind().GroupKind() == inventory.KindNamespace {
			declared[o.GetName()] = true
		}
	}
	seen := map[string]bool{}
	for _, o := range objs {
		if ns := o.GetNamespace(); ns != "" && !declared[ns] && !seen[ns] {
			seen[ns] = true
			// Created only when missing: applying a bare Namespace would
			// drop the labels another scenario applied to it.
			if err := a.ensureNamespace(ctx, ns); err != nil {
				return nil, fmt.Errorf("namespace %s: %w", ns, err)
			}
		}
	}
	all := append([]*unstructured.Unstructured(nil), objs...)
	sort.SliceStable(all, func(i, j int) bool {
		return applyOrder(all[i].GroupVersionKind().GroupKind()) < applyOrder(all[j].GroupVersionKind().GroupKind())
	})
	applied := make([]*unstructured.Unstructured, 0, len(all))
	for _, o := range all {
		got, err := a.applyOne(ctx, o)
		if err != nil {
			return applied, fmt.Errorf("%s %s: %w", o.GetKind(), objectName(o), err)
		}
		applied = append(applied, got)
	}
	return applied, nil
}

func (a *applier) applyOne(ctx context.Context, o *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	data, err := json.Marshal(o.Object)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		var got *unstructured.Unstructured
		ri, err := a.resource(o)
		if err == nil {
			got, err = ri.Patch(ctx, o.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: fieldManager, Force: ptrTrue()})
		}
		if err == nil {
			return got, nil
		}
		if !retryable(err) || time.Now().After(deadline) {
			return nil, err
		}
		if meta.IsNoMatchError(err) {
			a.mapper.Reset()
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (a *applier) ensureNamespace(ctx context.Context, name string) error {
	nsr := a.dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"})
	if _, err := nsr.Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		return err
	}
	n := &unstructured.Unstructured{}
	n.SetAPIVersion("v1")
	n.SetKind("Namespace")
	n.SetName(name)
	_, err := nsr.Create(ctx, n, metav1.CreateOptions{FieldManager: fieldManager})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

func (a *applier) resource(o *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := o.GroupVersionKind()
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := o.GetNamespace()
		if ns == "" {
			ns = "default"
		}
		return a.dyn.Resource(m.Resource).Namespace(ns), nil
	}
	return a.dyn.Resource(m.Resource), nil
}

// retryable: errors that go away by themselves in a fresh cluster.
func retryable(err error) bool {
	return meta.IsNoMatchError(err) || apierrors.IsNotFound(err) || apierrors.IsConflict(err) ||
		apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) || apierrors.IsTooManyRequests(err) ||
		apierrors.IsServiceUnavailable(err) || apierrors.IsInternalError(err) ||
		// "error looking up service account dev/default": the
		// ServiceAccount admission plugin, until the controller made it.
		(apierrors.IsForbidden(err) && bytes.Contains([]byte(err.Error()), []byte("service account")))
}

func objectName(o *unstructured.Unstructured) string {
	if ns := o.GetNamespace(); ns != "" {
		return ns + "/" + o.GetName()
	}
	return o.GetName()
}

func ptrTrue() *bool { b := true; return &b }
