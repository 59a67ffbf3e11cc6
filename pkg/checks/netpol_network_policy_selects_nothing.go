package checks

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/pkg/analysis/netpol"
	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// netpolSelectsNothing reports NetworkPolicies whose spec.podSelector
// matches no workload of their namespace (the pod template labels of each
// workload, or the labels of each running pod of a live cluster). Said
// only when the input can tell: a live cluster, or files holding workloads
// in that namespace; manifests of policies alone are not judged, and
// neither are namespaces where, per the input's RBAC, a workload's
// ServiceAccount may create pods or pod-making workloads (an operator:
// its pods are in no manifest). Allowed: a selector matching some
// workload; podSelector {} in a namespace with workloads.
var netpolSelectsNothing = &Check{
	ID:       "network-policy-selects-nothing",
	Category: finding.CategoryNetwork,
	Severity: finding.SeverityLow,
	Summary:  "NetworkPolicy selects no pod",
	Doc: "Checks each NetworkPolicy's podSelector against the workloads of its namespace. A policy that selects no " +
		"pod protects nothing: usually a label typo or a policy left behind by a renamed application, and the pods it " +
		"was written for are open without anyone noticing. Judged only when the input holds the namespace's " +
		"workloads: a live cluster, or files with workloads there and no operator among them (a workload whose " +
		"ServiceAccount may create pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs or CronJobs in " +
		"the namespace per the input's RBAC makes pods no manifest shows)." + netpolDocCommon,
	Remediation: "Compare the podSelector with the labels of the pods it is meant for (kubectl get pods --show-labels) " +
		"and fix it, or delete the policy if its application is gone.",
	References: netpolRefs,
	Engine:     EngineGo,
	Kinds:      []schema.GroupKind{inventory.KindNetworkPolicy},
	Run:        runSelectsNothing,
}

func runSelectsNothing(p *Pass, o *inventory.Object) {
	f := netpolFactsOf(p.Inv)
	pol := f.policies[o]
	if pol == nil {
		return
	}
	facts := f.namespaces[pol.Namespace]
	if facts == nil && !f.live {
		return // no workload of that namespace in the input: nothing to judge by
	}
	var workloads []*netpol.Workload
	if facts != nil {
		workloads = facts.workloads
	}
	if !f.live && netpolOperatorIn(p.Inv, pol.Namespace, workloads) != nil {
		return // pods made at runtime may be the ones it selects
	}
	hostOnly := 0
	for _, w := range workloads {
		if pol.PodSelector.Matches(w.Labels) {
			if !w.HostNetwork {
				return
			}
			hostOnly++
		}
	}
	msg := fmt.Sprintf("podSelector %s matches none of the %s of namespace %s: the policy protects nothing",
		netpol.SelectorText(pol.PodSelector), countOf(len(workloads), "workload"), pol.Namespace)
	if len(workloads) == 0 {
		msg = fmt.Sprintf("podSelector %s matches no pod: namespace %s runs none", netpol.SelectorText(pol.PodSelector), pol.Namespace)
	}
	if hostOnly > 0 {
		msg += fmt.Sprintf(" (it matches %s with hostNetwork, which NetworkPolicy does not govern)", countOf(hostOnly, "workload"))
	}
	p.Report(Location{Path: "spec.podSelector", Message: msg})
}

// podMaking are the resources whose creation makes pods.
var podMaking = []rbac.Request{
	{Verb: "create", Resource: "pods"},
	{Verb: "create", APIGroup: "apps", Resource: "deployments"},
	{Verb: "create", APIGroup: "apps", Resource: "statefulsets"},
	{Verb: "create", APIGroup: "apps", Resource: "daemonsets"},
	{Verb: "create", APIGroup: "apps", Resource: "replicasets"},
	{Verb: "create", APIGroup: "batch", Resource: "jobs"},
	{Verb: "create", APIGroup: "batch", Resource: "cronjobs"},
}

type netpolOperatorKey struct{ namespace string }

// netpolOperatorIn returns a workload of the namespace whose ServiceAccount
// may make pods in it (judged once per namespace), or nil.
func netpolOperatorIn(inv *inventory.Inventory, ns string, workloads []*netpol.Workload) *netpol.Workload {
	w, _ := inv.Memo(netpolOperatorKey{ns}, func() any {
		idx := rbac.For(inv)
		asked := map[string]bool{}
		for _, w := range workloads {
			t, ok := w.Object.PodTemplateOf()
			if !ok {
				continue
			}
			sa := inventory.ServiceAccountName(t.Spec)
			if asked[sa] {
				continue
			}
			asked[sa] = true
			for _, req := range podMaking {
				req.Namespace = ns
				if ok, _ := idx.Authorize(rbac.ServiceAccount(ns, sa), req, false); ok {
					return w
				}
			}
		}
		return (*netpol.Workload)(nil)
	}).(*netpol.Workload)
	return w
}
