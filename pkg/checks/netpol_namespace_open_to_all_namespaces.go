package checks

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/pkg/analysis/netpol"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// netpolOpenToAllNamespaces reports NetworkPolicies with an ingress rule
// admitting every namespace: a from peer with namespaceSelector {} and no
// podSelector (or podSelector {}), or a rule without a from list (every
// source, outside the cluster included). Only policies whose policyTypes
// include Ingress count (the API ignores ingress rules otherwise).
// Allowed: a namespaceSelector with labels, namespaceSelector {} together
// with a podSelector that has labels (named pods of every namespace, a
// monitoring agent), a podSelector alone (the policy's own namespace).
var netpolOpenToAllNamespaces = &Check{
	ID:       "namespace-open-to-all-namespaces",
	Category: finding.CategoryNetwork,
	Severity: finding.SeverityLow,
	Summary:  "NetworkPolicy admits ingress from every namespace",
	Doc: "Checks each ingress rule of each NetworkPolicy for a peer that admits every pod of every namespace " +
		"(namespaceSelector: {} without a podSelector, or with podSelector: {}) and for rules without a from list, " +
		"which admit every source. Such a rule makes the namespace boundary meaningless for the selected pods: a " +
		"compromised pod in any namespace, a test namespace or a tenant's, reaches them. The finding names the rule " +
		"and its ports." + netpolDocCommon,
	Remediation: "Name the namespaces that need access (namespaceSelector with matchLabels, e.g. " +
		"kubernetes.io/metadata.name: ingress-nginx) and, inside them, the pods (podSelector), on the ports needed.",
	References: netpolRefs,
	Engine:     EngineGo,
	Kinds:      []schema.GroupKind{inventory.KindNetworkPolicy},
	Run:        runOpenToAllNamespaces,
}

func runOpenToAllNamespaces(p *Pass, o *inventory.Object) {
	f := netpolFactsOf(p.Inv)
	pol := f.policies[o]
	if pol == nil || !pol.Ingress {
		return
	}
	for i := range pol.IngressRules {
		r := &pol.IngressRules[i]
		ref := netpol.RuleRef{Policy: pol, Rule: i}
		what := ""
		path := fmt.Sprintf("spec.ingress[%d]", i)
		if r.Peers == nil {
			what = "admits every source (no from list): every pod of every namespace and every address"
		} else {
			for j := range r.Peers {
				if everyNamespacePeer(&r.Peers[j]) {
					what = "admits every pod of every namespace (" + r.Peers[j].Describe() + ")"
					break
				}
			}
		}
		if what == "" {
			continue
		}
		ports := "on " + r.PortsText()
		p.Report(Location{Path: path, Message: fmt.Sprintf("ingress rule %d of %s %s %s, to the pods selected by podSelector %s",
			i+1, netpol.PolicyName(pol), what, ports, netpol.SelectorText(pol.PodSelector)),
			Related: ruleRelated([]netpol.RuleRef{ref}, false)})
	}
}

// everyNamespacePeer: namespaceSelector {} with no podSelector or an empty
// one.
func everyNamespacePeer(p *netpol.Peer) bool {
	return p.IPBlock == nil && p.NamespaceSelector != nil && p.NamespaceSelector.Empty() &&
		(p.PodSelector == nil || p.PodSelector.Empty())
}
