package checks

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/kharden/kharden/pkg/analysis/netpol"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// The network rules read the NetworkPolicy model and its reachability
// summary (pkg/analysis/netpol), built once per inventory, and the facts
// below, also derived once and shared by the seven rules.

// netpolFacts are what the network rules need beyond the summary.
type netpolFacts struct {
	model   *netpol.Model
	summary *netpol.Summary
	// targets are the workloads each object answers for: a workload of
	// files answers for itself; the live pods of a controller the
	// inventory holds are reported once, on that controller.
	targets map[*inventory.Object][]*netpol.Workload
	// namespaces holds what the namespace rules need.
	namespaces map[string]*netpolNamespace
	policies   map[*inventory.Object]*netpol.Policy
	// live: the input is a cluster, which holds every pod there is.
	live bool
}

// netpolNamespace is one namespace as the namespace rules see it.
type netpolNamespace struct {
	workloads []*netpol.Workload
	// first is the workload object a finding about a namespace without a
	// Namespace object is reported on (the first in the input).
	first *inventory.Object
}

type netpolFactsKey struct{}

func netpolFactsOf(inv *inventory.Inventory) *netpolFacts {
	return inv.Memo(netpolFactsKey{}, func() any {
		m := netpol.For(inv)
		f := &netpolFacts{model: m, summary: netpol.SummaryFor(inv), targets: map[*inventory.Object][]*netpol.Workload{},
			namespaces: map[string]*netpolNamespace{}, policies: map[*inventory.Object]*netpol.Policy{}}
		order := make(map[*inventory.Object]int, len(inv.Objects))
		for i, o := range inv.Objects {
			order[o] = i
			if o.Origin == inventory.OriginCluster {
				f.live = true
			}
		}
		for _, w := range m.Workloads {
			t := reportTarget(inv, w)
			f.targets[t] = append(f.targets[t], w)
			ns := f.namespaces[w.Namespace.Name]
			if ns == nil {
				ns = &netpolNamespace{}
				f.namespaces[w.Namespace.Name] = ns
			}
			ns.workloads = append(ns.workloads, w)
			if ns.first == nil || order[w.Object] < order[ns.first] {
				ns.first = w.Object
			}
		}
		for _, p := range m.Policies {
			f.policies[p.Object] = p
		}
		return f
	}).(*netpolFacts)
}

// reportTarget is the object a workload's findings go on: a live pod's
// top owner when the inventory holds it (one finding per Deployment, not
// per pod), else the workload's own object.
func reportTarget(inv *inventory.Inventory, w *netpol.Workload) *inventory.Object {
	if w.Object.Origin != inventory.OriginCluster || w.Owner == w.Ref {
		return w.Object
	}
	for _, o := range inv.InNamespace(w.Owner.Namespace) {
		if o.Ref.Kind == w.Owner.Kind && o.Ref.Name == w.Owner.Name {
			return o
		}
	}
	return w.Object
}

// netpolGoverned are the workloads an object answers for whose pods
// NetworkPolicy governs: a hostNetwork pod uses its node's network, which
// no policy isolates (the host-network rule reports those).
func netpolGoverned(f *netpolFacts, o *inventory.Object) []*netpol.Workload {
	var out []*netpol.Workload
	for _, w := range f.targets[o] {
		if !w.HostNetwork {
			out = append(out, w)
		}
	}
	return out
}

// podLabelsPath is where an object's pods get their labels.
func podLabelsPath(o *inventory.Object) string {
	t, ok := o.PodTemplateOf()
	if !ok || t.SpecPath == "spec" || !strings.HasSuffix(t.SpecPath, ".spec") {
		return "metadata.labels"
	}
	return strings.TrimSuffix(t.SpecPath, ".spec") + ".metadata.labels"
}

// podsOf is "the pods of Deployment shop/web" ("Pod shop/x" for a pod).
func podsOf(o *inventory.Object) string {
	if o.GK == inventory.KindPod {
		return objectName(o.Ref)
	}
	return "the pods of " + objectName(o.Ref)
}

// policyRelated names the policies of a decision.
func policyRelated(ps []*netpol.Policy) []finding.Related {
	out := make([]finding.Related, 0, len(ps))
	for _, p := range ps {
		out = append(out, finding.Related{Role: "policy", Object: p.Ref})
	}
	return out
}

// ruleRelated names the rules that allow something, with their text.
func ruleRelated(refs []netpol.RuleRef, egress bool) []finding.Related {
	out := make([]finding.Related, 0, len(refs))
	for _, r := range refs {
		out = append(out, finding.Related{Role: "rule", Object: r.Policy.Ref,
			Detail: strings.TrimPrefix(r.Name(egress), netpol.PolicyName(r.Policy)+" ") + ": " + r.Get(egress).Describe(egress)})
	}
	return out
}

// rulesAllowing is "NetworkPolicy shop/a egress rule 2 (to ipBlock ...)"
// for the first rules, and how many more.
func rulesAllowing(refs []netpol.RuleRef, egress bool) string {
	names := make([]string, 0, len(refs))
	for _, r := range refs {
		names = append(names, r.Name(egress)+" ("+r.Get(egress).Describe(egress)+")")
	}
	return listCapped(names, "rules")
}

// policyNames is "NetworkPolicy shop/a and NetworkPolicy shop/b".
func policyNames(ps []*netpol.Policy) string {
	names := make([]string, 0, len(ps))
	for _, p := range ps {
		names = append(names, netpol.PolicyName(p))
	}
	return listCapped(names, "policies")
}

// workloadNames lists workloads as "Deployment shop/web", live pods by
// the workload that made them (once).
func workloadNames(ws []*netpol.Workload) string {
	names := make([]string, 0, len(ws))
	seen := map[finding.ObjectRef]bool{}
	for _, w := range ws {
		owner := w.Owner
		owner.APIVersion = ""
		if !seen[owner] {
			seen[owner] = true
			names = append(names, objectName(w.Owner))
		}
	}
	return listCapped(names, "workloads")
}

// addressList is "169.254.169.254 and fd00:ec2::254".
func addressList(as []netip.Addr) string {
	names := make([]string, 0, len(as))
	for _, a := range as {
		names = append(names, a.String())
	}
	return listCapped(names, "addresses")
}

// countOf is "1 workload", "3 workloads".
func countOf(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// netpolRefs are the references every network rule cites.
var netpolRefs = []string{"NSA/CISA Kubernetes Hardening Guide: Network separation and hardening",
	"CIS Kubernetes Benchmark 5.3.2"}

// netpolDocCommon ends the doc of every network rule.
const netpolDocCommon = " Policies are read as the API server defaults them (policyTypes from the sections present, " +
	"protocol TCP) and combined as every network plugin does: a pod is isolated for a direction once any policy " +
	"selects it for that direction, and then gets the union of what those policies allow. Pods with hostNetwork " +
	"use their node's network, which NetworkPolicy does not govern: the per-workload network rules leave them " +
	"to host-network."

// netpolNamespaceOf is the namespace of an object the model read (the
// model files namespaced objects without one under default).
func netpolNamespaceOf(o *inventory.Object) string {
	if o.Ref.Namespace == "" {
		return "default"
	}
	return o.Ref.Namespace
}

// netpolCount is "1 NetworkPolicy", "3 NetworkPolicies".
func netpolCount(n int) string {
	if n == 1 {
		return "1 NetworkPolicy"
	}
	return fmt.Sprintf("%d NetworkPolicies", n)
}
