package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// FieldManager owns what kharden writes (server-side apply): a label or
// binding kharden no longer applies is removed by the next apply.
const FieldManager = "kharden-rollout"

var (
	gvrNamespace = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	gvrConfigMap = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	gvrPolicy    = admissionregistrationv1.SchemeGroupVersion.WithResource("validatingadmissionpolicies")
	gvrBinding   = admissionregistrationv1.SchemeGroupVersion.WithResource("validatingadmissionpolicybindings")
)

// Client writes the rollout to a cluster.
type Client struct {
	cs  kubernetes.Interface
	dyn dynamic.Interface
	// warnings collects the API server's warnings of the current call.
	mu       sync.Mutex
	warnings []string
}

// NewClient builds clients from cfg; the API server's warnings (PSA's
// "existing pods violate", a Warn binding's message) are collected for
// the caller instead of printed.
func NewClient(cfg *rest.Config) (*Client, error) {
	c := &Client{}
	cfg = rest.CopyConfig(cfg)
	cfg.WarningHandler = warningFunc(func(msg string) {
		c.mu.Lock()
		c.warnings = append(c.warnings, msg)
		c.mu.Unlock()
	})
	var err error
	if c.cs, err = kubernetes.NewForConfig(cfg); err != nil {
		return nil, err
	}
	if c.dyn, err = dynamic.NewForConfig(cfg); err != nil {
		return nil, err
	}
	return c, nil
}

type warningFunc func(string)

func (f warningFunc) HandleWarningHeader(code int, agent, text string) {
	if code == 299 && text != "" {
		f(text)
	}
}

// Kube is the typed client.
func (c *Client) Kube() kubernetes.Interface { return c.cs }

// CheckServer fails with a clear error when the cluster cannot hold the
// policies: no admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy
// (Kubernetes before 1.30, or the API turned off).
func (c *Client) CheckServer() error {
	list, err := c.cs.Discovery().ServerResourcesForGroupVersion(admissionregistrationv1.SchemeGroupVersion.String())
	if err != nil {
		return fmt.Errorf("discovering %s: %w", admissionregistrationv1.SchemeGroupVersion, err)
	}
	have := map[string]bool{}
	for _, r := range list.APIResources {
		have[r.Name] = true
	}
	if !have["validatingadmissionpolicies"] || !have["validatingadmissionpolicybindings"] {
		return errors.New("this cluster does not serve admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy and bindings (Kubernetes 1.30 or later is needed); nothing was written")
	}
	return nil
}

// Result says what an apply did.
type Result struct {
	Applied  []string `json:"applied"`
	Deleted  []string `json:"deleted,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	DryRun   bool     `json:"dryRun"`
}

type write struct {
	what   string
	gvr    schema.GroupVersionResource
	ns     string
	name   string
	obj    any // nil: delete
	labels bool
}

// Apply writes objects all or nothing: every write is first sent as a
// server-side dry run; if any is refused nothing is written. With dryRun
// only the dry run happens. Bindings and policies kharden manages that
// objects no longer hold are deleted (bindings first).
func (c *Client) Apply(ctx context.Context, o *Objects, dryRun bool) (*Result, error) {
	if err := c.CheckServer(); err != nil {
		return nil, err
	}
	plan, err := c.writes(ctx, o)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.warnings = nil
	c.mu.Unlock()
	var refused []error
	for _, w := range plan {
		if err := c.do(ctx, w, true); err != nil {
			refused = append(refused, fmt.Errorf("%s: %w", w.what, err))
		}
	}
	res := &Result{DryRun: dryRun}
	c.mu.Lock()
	res.Warnings = dedupe(c.warnings)
	c.mu.Unlock()
	if len(refused) > 0 {
		return res, fmt.Errorf("the API server refused %d change(s) in a dry run; nothing was written: %w", len(refused), errors.Join(refused...))
	}
	for _, w := range plan {
		if w.obj == nil {
			res.Deleted = append(res.Deleted, w.what)
		} else {
			res.Applied = append(res.Applied, w.what)
		}
	}
	if dryRun {
		return res, nil
	}
	for i, w := range plan {
		if err := c.do(ctx, w, false); err != nil {
			return res, &WriteError{What: w.what, Done: i, Total: len(plan), Err: err}
		}
	}
	return res, nil
}

// WriteError is a write that failed after the dry run of every write had
// passed (a conflict, an API server going away): Done writes were made.
type WriteError struct {
	What        string
	Done, Total int
	Err         error
}

func (e *WriteError) Error() string {
	return fmt.Sprintf("writing %s failed after %d of %d writes (the dry run had passed): %v", e.What, e.Done, e.Total, e.Err)
}

func (e *WriteError) Unwrap() error { return e.Err }

// writes orders the changes: namespace, params, policies, bindings,
// namespace labels, deletions of stale bindings then policies, and the
// state last (a failure before it leaves the recorded stage unchanged).
func (c *Client) writes(ctx context.Context, o *Objects) ([]write, error) {
	var ws []write
	ws = append(ws, write{what: "namespace/" + SystemNamespace, gvr: gvrNamespace, name: SystemNamespace, obj: o.Namespace})
	ws = append(ws, write{what: "configmap/" + SystemNamespace + "/" + o.Params.Name, gvr: gvrConfigMap, ns: SystemNamespace, name: o.Params.Name, obj: o.Params})
	wantPol, wantBind := map[string]bool{}, map[string]bool{}
	for _, p := range o.Policies {
		wantPol[p.Name] = true
		ws = append(ws, write{what: "validatingadmissionpolicy/" + p.Name, gvr: gvrPolicy, name: p.Name, obj: p})
	}
	for _, b := range o.Bindings {
		wantBind[b.Name] = true
		ws = append(ws, write{what: "validatingadmissionpolicybinding/" + b.Name, gvr: gvrBinding, name: b.Name, obj: b})
	}
	for _, ns := range sortedLabelKeys(o.Labels) {
		cfg := map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns, "labels": o.Labels[ns]}}
		ws = append(ws, write{what: "namespace/" + ns + " labels", gvr: gvrNamespace, name: ns, obj: cfg, labels: true})
	}
	sel := metav1.ListOptions{LabelSelector: ManagedBy + "=kharden"}
	for _, k := range []struct {
		gvr  schema.GroupVersionResource
		kind string
		want map[string]bool
	}{{gvrBinding, "validatingadmissionpolicybinding", wantBind}, {gvrPolicy, "validatingadmissionpolicy", wantPol}} {
		list, err := c.dyn.Resource(k.gvr).List(ctx, sel)
		if err != nil {
			return nil, fmt.Errorf("listing %ss: %w", k.kind, err)
		}
		for _, it := range list.Items {
			if !k.want[it.GetName()] {
				ws = append(ws, write{what: k.kind + "/" + it.GetName(), gvr: k.gvr, name: it.GetName()})
			}
		}
	}
	ws = append(ws, write{what: "configmap/" + SystemNamespace + "/" + StateConfigMap, gvr: gvrConfigMap, ns: SystemNamespace, name: StateConfigMap, obj: o.State})
	return ws, nil
}

func (c *Client) do(ctx context.Context, w write, dryRun bool) error {
	var dry []string
	if dryRun {
		dry = []string{metav1.DryRunAll}
	}
	ri := c.dyn.Resource(w.gvr)
	var r dynamic.ResourceInterface = ri
	if w.ns != "" {
		r = ri.Namespace(w.ns)
	}
	if w.obj == nil {
		err := r.Delete(ctx, w.name, metav1.DeleteOptions{DryRun: dry})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
	data, err := toJSON(w.obj)
	if err != nil {
		return err
	}
	force := true
	_, err = r.Patch(ctx, w.name, types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: FieldManager, Force: &force, DryRun: dry})
	if dryRun && apierrors.IsNotFound(err) && w.ns == SystemNamespace {
		// The namespace is created by the same apply: a dry run cannot
		// see it. The objects are checked when written.
		return nil
	}
	return err
}

func toJSON(obj any) ([]byte, error) {
	if ro, ok := obj.(runtime.Object); ok {
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(ro)
		if err != nil {
			return nil, err
		}
		obj = u
	}
	return json.Marshal(obj)
}

func sortedLabelKeys(m map[string]map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
