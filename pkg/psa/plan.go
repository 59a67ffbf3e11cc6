package psa

import (
	"fmt"
	"sort"

	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/pss"
)

// Options select what Plan evaluates.
type Options struct {
	// Version is the Pod Security Standards version: "latest" (also for "")
	// or "v1.N". The labels Plan proposes pin the version evaluated; latest
	// pins the newest version the library knows.
	Version string
	// Namespaces restricts the plan to these namespaces; empty plans every
	// namespace of the input.
	Namespaces []string
}

// Proposal is the proposed Pod Security level of each namespace.
type Proposal struct {
	// Version is the pinned policy version the levels were evaluated at.
	Version    string      `json:"version"`
	Namespaces []Namespace `json:"namespaces"`
	// Warnings are workloads that could only be partly read (fields of the
	// wrong type); they were judged on what could be read.
	Warnings []string `json:"warnings,omitempty"`
}

// Namespace is the plan of one namespace.
type Namespace struct {
	Name string `json:"name"`
	// Level is the strictest level every current workload passes
	// (restricted when there is none).
	Level api.Level `json:"level"`
	// Current holds the namespace's pod-security.kubernetes.io/ labels.
	Current map[string]string `json:"current"`
	// Workloads counts the workloads judged (a controller and the objects it
	// owns in the input count once).
	Workloads int `json:"workloads"`
	// BreaksAt is what would fail at the next stricter level; nil at
	// restricted.
	BreaksAt *Breaks `json:"breaksAt,omitempty"`
	// Labels are the labels to set: every mode at Level, version pinned.
	Labels map[string]string `json:"labels"`
}

// Breaks lists the workloads that fail a level.
type Breaks struct {
	Level     api.Level  `json:"level"`
	Workloads []Workload `json:"workloads"`
}

// Workload is one workload that fails a level, named by its top owner in the
// input (a Deployment rather than its ReplicaSet or pods).
type Workload struct {
	Kind   string  `json:"kind"`
	Name   string  `json:"name"`
	Checks []Check `json:"checks"`
	// Message is the violation text as the API server words it
	// (policy.AggregateCheckResult.ForbiddenReason).
	Message string `json:"message"`
}

// Check is one failed PSA check.
type Check struct {
	ID policy.CheckID `json:"id"`
	// Level is the level the check belongs to.
	Level  finding.Level `json:"level"`
	Reason string        `json:"reason"`
	Detail string        `json:"detail,omitempty"`
}

// verdict is the evaluation of one workload object.
type verdict struct {
	owner ownerRef
	// pod is true for a Pod: what admission itself evaluates, with the
	// server's pod defaults (AppArmor annotations copied to fields).
	pod      bool
	level    api.Level
	baseline []pss.Violation // failures at baseline
	strict   []pss.Violation // failures at restricted
}

// Plan evaluates every workload of the inventory (Pods and the pod templates
// of controllers) and proposes a level for each namespace. Every object is
// judged, and failures are reported once per top owner, so that a pod of an
// older ReplicaSet revision still counts.
func Plan(inv *inventory.Inventory, opts Options) (*Proposal, error) {
	eval, err := pss.NewEvaluator(opts.Version)
	if err != nil {
		return nil, err
	}
	pin := pinOf(eval)
	names, err := selectNamespaces(inv, opts.Namespaces)
	if err != nil {
		return nil, err
	}
	p := &Proposal{Version: pin, Namespaces: make([]Namespace, 0, len(names))}
	for _, ns := range names {
		n, warnings := planNamespace(inv, eval, ns, pin)
		p.Namespaces = append(p.Namespaces, n)
		p.Warnings = append(p.Warnings, warnings...)
	}
	return p, nil
}

func selectNamespaces(inv *inventory.Inventory, want []string) ([]string, error) {
	all := inv.Namespaces()
	if len(want) == 0 {
		return all, nil
	}
	known := map[string]bool{}
	for _, ns := range all {
		known[ns] = true
	}
	seen := map[string]bool{}
	var out []string
	for _, ns := range want {
		if !known[ns] {
			return nil, fmt.Errorf("namespace %q: not in the input", ns)
		}
		if !seen[ns] {
			seen[ns] = true
			out = append(out, ns)
		}
	}
	sort.Strings(out)
	return out, nil
}

func planNamespace(inv *inventory.Inventory, eval *pss.Evaluator, ns, pin string) (Namespace, []string) {
	n := Namespace{Name: ns, Level: api.LevelRestricted, Current: map[string]string{}}
	for _, o := range inv.Get(inventory.KindNamespace, "", ns) {
		n.Current = currentLabels(o.Labels())
	}
	var verdicts []verdict
	var warnings []string
	owners := map[ownerRef]bool{}
	for _, o := range inv.InNamespace(ns) {
		t, ok := o.PodTemplateOf()
		if !ok {
			continue
		}
		v := verdict{owner: topOwner(inv, o), pod: o.GK == inventory.KindPod}
		var errB, errR error
		v.baseline, errB = eval.Evaluate(t, finding.LevelBaseline)
		v.strict, errR = eval.Evaluate(t, finding.LevelRestricted)
		if err := firstErr(errB, errR); err != nil {
			warnings = append(warnings, fmt.Sprintf("%s %s/%s: %v", o.Ref.Kind, ns, o.Ref.Name, err))
		}
		switch {
		case len(v.baseline) > 0:
			v.level = api.LevelPrivileged
		case len(v.strict) > 0:
			v.level = api.LevelBaseline
		default:
			v.level = api.LevelRestricted
		}
		if api.CompareLevels(v.level, n.Level) < 0 {
			n.Level = v.level
		}
		owners[v.owner] = true
		verdicts = append(verdicts, v)
	}
	n.Workloads = len(owners)
	if next, ok := nextLevel(n.Level); ok {
		n.BreaksAt = &Breaks{Level: next, Workloads: breaking(verdicts, next)}
	}
	n.Labels = map[string]string{}
	for _, m := range Modes {
		for k, v := range Labels(m, n.Level, pin) {
			n.Labels[k] = v
		}
	}
	return n, warnings
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// breaking groups the failures at a level by owner: the checks of all the
// owner's objects, each check once, worded as for the owner's pods when the
// input has them (the API server words a check on a stored pod, which it
// may have defaulted, a little differently from the template's).
func breaking(verdicts []verdict, level api.Level) []Workload {
	sort.SliceStable(verdicts, func(i, j int) bool { return verdicts[i].pod && !verdicts[j].pod })
	byOwner := map[ownerRef][]pss.Violation{}
	var order []ownerRef
	for _, v := range verdicts {
		vs := v.baseline
		if level == api.LevelRestricted {
			vs = v.strict
		}
		if len(vs) == 0 {
			continue
		}
		if _, ok := byOwner[v.owner]; !ok {
			order = append(order, v.owner)
		}
		byOwner[v.owner] = mergeViolations(byOwner[v.owner], vs)
	}
	sort.Slice(order, func(i, j int) bool {
		if order[i].kind != order[j].kind {
			return order[i].kind < order[j].kind
		}
		return order[i].name < order[j].name
	})
	out := make([]Workload, 0, len(order))
	for _, o := range order {
		vs := byOwner[o]
		agg := pss.Aggregate(vs)
		w := Workload{Kind: o.kind, Name: o.name, Message: agg.ForbiddenReason()}
		for _, v := range vs {
			w.Checks = append(w.Checks, Check{ID: v.Check, Level: v.Level, Reason: v.Reason, Detail: v.Detail})
		}
		out = append(out, w)
	}
	return out
}

// mergeViolations adds the violations of b whose check is not in a yet.
func mergeViolations(a, b []pss.Violation) []pss.Violation {
	for _, v := range b {
		dup := false
		for _, w := range a {
			if w.Check == v.Check {
				dup = true
				break
			}
		}
		if !dup {
			a = append(a, v)
		}
	}
	return a
}

// PinnedVersion is the version label value for a requested Pod Security
// Standards version: "latest" (and "") is the newest version the library
// knows, so that the labels keep meaning what was evaluated after an
// upgrade; "v1.N" stays as given.
func PinnedVersion(version string) (string, error) {
	eval, err := pss.NewEvaluator(version)
	if err != nil {
		return "", err
	}
	return pinOf(eval), nil
}

func pinOf(eval *pss.Evaluator) string {
	if eval.Version() == api.LatestVersion() {
		return eval.EffectiveVersion().String()
	}
	return eval.Version().String()
}
