package network

import (
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	k8sfield "k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kharden/kharden/pkg/analysis/netpol"
	"github.com/kharden/kharden/pkg/inventory"
)

// target is an app made concrete: the pods of a namespace a selector
// picks (an empty selector: every pod of the namespace).
type target struct {
	Namespace string
	Selector  *metav1.LabelSelector
	// Name names the app in policy names; Desc in comments.
	Name string
	Desc string
}

// resolver turns spec references into namespaces and selectors, reading
// the input (nil when none was given) for names and labels.
type resolver struct {
	inv      *inventory.Inventory
	m        *netpol.Model
	warnings []string
	warned   map[string]bool
}

func newResolver(inv *inventory.Inventory) *resolver {
	r := &resolver{inv: inv, warned: map[string]bool{}}
	if inv != nil {
		r.m = netpol.For(inv)
	}
	return r
}

func (r *resolver) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !r.warned[msg] {
		r.warned[msg] = true
		r.warnings = append(r.warnings, msg)
	}
}

// needInput is the error for a spec part that only the input can answer.
func needInput(p Pos, what string) error {
	return p.Errorf("%s: give the manifests (--inventory PATH) or --cluster to resolve it", what)
}

// app resolves an AppRef: a workload name through the input, or the
// namespace and labels written in the spec.
func (r *resolver) app(a AppRef) (target, error) {
	if a.Ref == "" {
		sel := a.Selector
		if sel == nil {
			sel = &metav1.LabelSelector{}
		}
		t := target{Namespace: a.Namespace, Selector: sel.DeepCopy(), Name: a.Name}
		if t.Name == "" {
			t.Name = selectorName(sel)
		}
		t.Desc = describeSelector(t.Namespace, sel)
		// Defaults (no place in a spec) are checked by their callers.
		if r.m != nil && a.Pos != (Pos{}) && len(r.selected(t)) == 0 {
			r.warn("%s: %s selects no pod of the input", a.Pos.where(), t.Desc)
		}
		return t, nil
	}
	if r.m == nil {
		return target{}, needInput(a.Pos, fmt.Sprintf("%s names a workload", a.Ref))
	}
	eps, err := r.m.Resolve(a.Ref)
	if err != nil {
		return target{}, a.Errorf("%v", err)
	}
	owners := map[string]*netpol.Workload{}
	var names []string
	for _, ep := range eps {
		key := ownerName(ep.Workload)
		if owners[key] == nil {
			owners[key] = ep.Workload
			names = append(names, key)
		}
	}
	if len(owners) > 1 {
		sort.Strings(names)
		return target{}, a.Errorf("%s names several workloads (%s): write NAMESPACE/KIND/NAME", a.Ref, strings.Join(names, ", "))
	}
	t, err := r.workload(owners[names[0]])
	if err != nil {
		return target{}, a.Errorf("%v", err)
	}
	if a.Name != "" {
		t.Name = a.Name
	}
	return t, nil
}

func (p Pos) where() string {
	loc := p.File
	if loc == "" {
		loc = "spec"
	}
	if p.Line > 0 {
		loc = fmt.Sprintf("%s:%d", loc, p.Line)
	}
	if p.Path != "" {
		loc += ": " + p.Path
	}
	return loc
}

// workload is the target of a workload's pods: the selector its
// controller selects them by, or their stable labels.
func (r *resolver) workload(w *netpol.Workload) (target, error) {
	sel, err := workloadSelector(r.inv, w)
	if err != nil {
		return target{}, err
	}
	t := target{Namespace: w.Namespace.Name, Selector: sel, Name: w.Owner.Name,
		Desc: "pods of " + ownerName(w) + " (" + metav1.FormatLabelSelector(sel) + ")"}
	others := map[string]bool{}
	for _, o := range r.selected(t) {
		if n := ownerName(o); n != ownerName(w) {
			others[n] = true
		}
	}
	if len(others) > 0 {
		list := make([]string, 0, len(others))
		for n := range others {
			list = append(list, n)
		}
		sort.Strings(list)
		r.warn("the selector of %s, %s, also selects %s: policies for it apply to those too", ownerName(w),
			metav1.FormatLabelSelector(sel), strings.Join(list, ", "))
	}
	return t, nil
}

// selected lists the workloads of the input a target selects.
func (r *resolver) selected(t target) []*netpol.Workload {
	if r.m == nil {
		return nil
	}
	sel, err := metav1.LabelSelectorAsSelector(t.Selector)
	if err != nil {
		return nil
	}
	var out []*netpol.Workload
	for _, w := range r.m.Workloads {
		if w.Namespace.Name == t.Namespace && sel.Matches(w.Labels) {
			out = append(out, w)
		}
	}
	return out
}

// namespaces resolves a NamespaceSet: the names as written, and the
// input's namespaces the selector matches; sorted, each once.
func (r *resolver) namespaces(s NamespaceSet) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, n := range s.Names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
		if r.m != nil && r.m.Namespaces[n] == nil {
			r.warn("%s: namespace %s is not in the input", s.where(), n)
		}
	}
	if s.Selector != nil {
		if r.m == nil {
			return nil, needInput(s.Pos, "namespaceSelector selects among the input's namespaces")
		}
		sel, err := metav1.LabelSelectorAsSelector(s.Selector)
		if err != nil {
			return nil, s.Errorf("namespaceSelector: %v", err)
		}
		matched := 0
		for name, ns := range r.m.Namespaces {
			if sel.Matches(ns.Labels) {
				matched++
				if !seen[name] {
					seen[name] = true
					out = append(out, name)
				}
			}
		}
		if matched == 0 {
			r.warn("%s: namespaceSelector %s matches no namespace of the input", s.where(), metav1.FormatLabelSelector(s.Selector))
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, s.Errorf("no namespace selected")
	}
	return out, nil
}

// ownerName is "NAMESPACE/KIND/NAME" of the workload a person names.
func ownerName(w *netpol.Workload) string {
	return w.Namespace.Name + "/" + w.Owner.Kind + "/" + w.Owner.Name
}

// volatileLabels are set on pods by controllers and change with every
// rollout (or name one pod): a policy must not select by them.
var volatileLabels = map[string]bool{
	"pod-template-hash":                        true,
	"controller-revision-hash":                 true,
	"pod-template-generation":                  true,
	"statefulset.kubernetes.io/pod-name":       true,
	"apps.kubernetes.io/pod-index":             true,
	"controller-uid":                           true,
	"batch.kubernetes.io/controller-uid":       true,
	"job-name":                                 true,
	"batch.kubernetes.io/job-name":             true,
	"batch.kubernetes.io/job-completion-index": true,
}

// workloadSelector is how policies should select a workload's pods: its
// controller's selector (Deployments, StatefulSets, DaemonSets,
// ReplicaSets, ReplicationControllers) when that is valid and matches the
// pods, else the pods' labels without the ones controllers add.
func workloadSelector(inv *inventory.Inventory, w *netpol.Workload) (*metav1.LabelSelector, error) {
	pods := labels.Set(w.Labels)
	if top := topObject(inv, w); top != nil {
		var sel *metav1.LabelSelector
		switch top.GK {
		case inventory.KindDeployment, inventory.KindStatefulSet, inventory.KindDaemonSet, inventory.KindReplicaSet:
			if s, err := inventory.LabelSelector(inventory.MapAt(top.Content, "spec")["selector"]); err == nil {
				sel = s
			}
		case inventory.KindReplicationController:
			if m := inventory.StringMap(inventory.MapAt(top.Content, "spec", "selector")); len(m) > 0 {
				sel = &metav1.LabelSelector{MatchLabels: m}
			}
		}
		if sel != nil && (len(sel.MatchLabels) > 0 || len(sel.MatchExpressions) > 0) && !usesVolatile(sel) &&
			len(metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, k8sfield.NewPath("selector"))) == 0 {
			if s, err := metav1.LabelSelectorAsSelector(sel); err == nil && s.Matches(pods) {
				return sel, nil
			}
		}
	}
	ml := map[string]string{}
	for k, v := range w.Labels {
		if !volatileLabels[k] {
			ml[k] = v
		}
	}
	if len(ml) == 0 {
		return nil, fmt.Errorf("%s has no labels to select its pods by: label them (app.kubernetes.io/name) first", ownerName(w))
	}
	sel := &metav1.LabelSelector{MatchLabels: ml}
	if errs := metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, k8sfield.NewPath("labels")); len(errs) > 0 {
		return nil, fmt.Errorf("%s: its pods' labels cannot be a selector: %s", ownerName(w), errs[0].Error())
	}
	return sel, nil
}

func usesVolatile(sel *metav1.LabelSelector) bool {
	for k := range sel.MatchLabels {
		if volatileLabels[k] {
			return true
		}
	}
	for _, e := range sel.MatchExpressions {
		if volatileLabels[e.Key] {
			return true
		}
	}
	return false
}

// topObject is the object of the workload a person names: for a live pod
// its Deployment (or other top controller) when the input has it.
func topObject(inv *inventory.Inventory, w *netpol.Workload) *inventory.Object {
	if w.Owner.Kind == w.Ref.Kind && w.Owner.Name == w.Ref.Name {
		return w.Object
	}
	if inv != nil {
		for _, o := range inv.InNamespace(w.Namespace.Name) {
			if o.Ref.Kind == w.Owner.Kind && o.Ref.Name == w.Owner.Name && inventory.IsWorkloadKind(o.GK) {
				return o
			}
		}
	}
	return nil
}

// selectorName names pods selected by labels: the value of the usual app
// label, else of the first label; "all" for every pod.
func selectorName(sel *metav1.LabelSelector) string {
	for _, k := range []string{"app.kubernetes.io/name", "app", "k8s-app", "name", "app.kubernetes.io/instance", "app.kubernetes.io/component"} {
		if v := sel.MatchLabels[k]; v != "" {
			return v
		}
	}
	keys := make([]string, 0, len(sel.MatchLabels))
	for k := range sel.MatchLabels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if v := sel.MatchLabels[k]; v != "" {
			return v
		}
	}
	if len(keys) == 0 && len(sel.MatchExpressions) == 0 {
		return "all"
	}
	return "selected"
}

func describeSelector(ns string, sel *metav1.LabelSelector) string {
	if len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0 {
		return "every pod of namespace " + ns
	}
	return "pods " + metav1.FormatLabelSelector(sel) + " of namespace " + ns
}
