package checks

import (
	"github.com/kharden/kharden/pkg/analysis/netpol"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// netpolPodNotIsolated reports workloads whose pods no NetworkPolicy
// selects for ingress: no policy of their namespace has a podSelector
// matching the pod template's labels and Ingress among its (defaulted)
// policyTypes. The message says whether egress is open too. Allowed: a
// pod selected for ingress by any policy, a namespace-wide default deny
// included. An egress-only policy (policyTypes [Egress]) does not isolate
// ingress, and neither does a policy of another namespace or a peer
// selector naming the pod. Live pods are reported once, on the controller
// that made them when the input holds it.
var netpolPodNotIsolated = &Check{
	ID:       "pod-not-isolated",
	Category: finding.CategoryNetwork,
	Severity: finding.SeverityMedium,
	Summary:  "No NetworkPolicy selects the workload's pods for ingress",
	Doc: "Checks, for each workload, whether some NetworkPolicy of its namespace selects its pods (podSelector " +
		"against the pod template's labels) for ingress. A pod no policy selects is not isolated: every pod of the " +
		"cluster, and any address that can route to it, may connect on every port. The finding says whether the " +
		"pods' egress is open as well." + netpolDocCommon,
	Remediation: "Select the pods with a NetworkPolicy that allows only the clients they serve (or add a default " +
		"deny to the namespace, then allow those clients); `kharden netpol reach` checks a flow before and after.",
	References: append(append([]string(nil), netpolRefs...), "MITRE ATT&CK T1210"),
	Engine:     EngineGo,
	Run:        runPodNotIsolated,
}

func runPodNotIsolated(p *Pass, o *inventory.Object) {
	f := netpolFactsOf(p.Inv)
	for _, w := range netpolGoverned(f, o) {
		cs := f.summary.Classes[w.Class.ID]
		if cs.IngressIsolated {
			continue
		}
		them := "them"
		if o.GK == inventory.KindPod {
			them = "it"
		}
		msg := "no NetworkPolicy selects " + podsOf(o) + " for ingress: any pod of the cluster and any address may connect to " + them + " on every port"
		var related []finding.Related
		if cs.EgressIsolated {
			msg += "; egress is isolated by " + policyNames(cs.Egress)
			for _, pol := range cs.Egress {
				related = append(related, finding.Related{Role: "policy", Object: pol.Ref, Detail: "selects the pods for egress"})
			}
		} else {
			msg += "; egress is open too (no policy selects " + them + " for egress)"
		}
		if n := len(f.model.PoliciesIn(w.Namespace.Name)); n > 0 {
			msg += "; namespace " + w.Namespace.Name + " has " + netpolCount(n) + ", none selecting " + them + " for ingress"
			listed := 0
			for _, pol := range f.model.PoliciesIn(w.Namespace.Name) {
				if pol.Ingress && listed < maxRelatedWorkloads {
					listed++
					related = append(related, finding.Related{Role: "policy", Object: pol.Ref,
						Detail: "podSelector " + netpol.SelectorText(pol.PodSelector) + " does not select the pods"})
				}
			}
		}
		p.Report(Location{Path: podLabelsPath(o), Message: msg, Related: related})
		return
	}
}
