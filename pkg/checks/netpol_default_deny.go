package checks

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/pkg/analysis/netpol"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// The two default-deny rules share their run: a namespace has a default
// deny for a direction when a policy with an empty podSelector selects
// every pod for it, and no such policy also allows everything in that
// direction (which would undo the deny for every pod).

// defaultDenyKinds: the namespace, or the first workload of a namespace
// the input has no Namespace object for.
var defaultDenyKinds = append([]schema.GroupKind{inventory.KindNamespace}, inventory.WorkloadKinds()...)

// netpolDefaultDeny returns the namespace-wide policies isolating the
// direction and, when one of them also admits everything, that rule.
func netpolDefaultDeny(ps []*netpol.Policy, egress bool) (denies []*netpol.Policy, undone *netpol.RuleRef) {
	for _, p := range ps {
		if !p.PodSelector.Empty() || (egress && !p.Egress) || (!egress && !p.Ingress) {
			continue
		}
		denies = append(denies, p)
		rules := p.IngressRules
		if egress {
			rules = p.EgressRules
		}
		for i := range rules {
			if undone == nil && ruleAllowsEverything(&rules[i]) {
				undone = &netpol.RuleRef{Policy: p, Rule: i}
			}
		}
	}
	return denies, undone
}

// ruleAllowsEverything: every port, and every peer (no peer list, or
// every pod of every namespace together with all of IPv4 and IPv6).
func ruleAllowsEverything(r *netpol.Rule) bool {
	if r.Ports != nil {
		return false
	}
	if r.Peers == nil {
		return true
	}
	var pods, v4, v6 bool
	for _, p := range r.Peers {
		switch {
		case p.IPBlock != nil:
			if len(p.IPBlock.Except) == 0 && p.IPBlock.CIDR.Bits() == 0 {
				v4 = v4 || p.IPBlock.CIDR.Addr().Is4()
				v6 = v6 || p.IPBlock.CIDR.Addr().Is6()
			}
		case p.NamespaceSelector != nil && p.NamespaceSelector.Empty() && (p.PodSelector == nil || p.PodSelector.Empty()):
			pods = true
		}
	}
	return pods && v4 && v6
}

// runDefaultDeny is the Run of the default-deny rule of a direction.
func runDefaultDeny(egress bool) func(p *Pass, o *inventory.Object) {
	return func(p *Pass, o *inventory.Object) {
		f := netpolFactsOf(p.Inv)
		var nsName, path string
		if o.GK == inventory.KindNamespace {
			nsName, path = o.Ref.Name, "metadata.name"
		} else {
			nsName, path = netpolNamespaceOf(o), "metadata.namespace"
			facts := f.namespaces[nsName]
			if facts == nil || facts.first != o {
				return
			}
			if ns := f.model.Namespaces[nsName]; ns != nil && ns.Object != nil {
				return // reported on the Namespace
			}
		}
		denies, undone := netpolDefaultDeny(f.model.PoliciesIn(nsName), egress)
		if len(denies) > 0 && undone == nil {
			return
		}
		governed, open := namespaceOpen(f, nsName, egress)
		// Live pods and workloads without running pods both count: one word
		// for both keeps file and cluster messages alike.
		unit := "workload"
		loc := Location{Path: path, Message: defaultDenyMessage(nsName, o.GK != inventory.KindNamespace, egress, undone, governed, open, unit)}
		if len(governed) == 0 {
			sev := max(finding.SeverityInfo, p.check.Severity-1)
			loc.Severity = &sev
		}
		var skip *netpol.Policy
		if undone != nil {
			skip = undone.Policy
			loc.Related = append(loc.Related, finding.Related{Role: "policy", Object: undone.Policy.Ref,
				Detail: strings.TrimPrefix(undone.Name(egress), netpol.PolicyName(undone.Policy)+" ") + " allows everything"})
		}
		for _, pol := range f.model.PoliciesIn(nsName) {
			if len(loc.Related) == maxRelatedWorkloads {
				break
			}
			if pol != skip && ((egress && pol.Egress) || (!egress && pol.Ingress)) {
				loc.Related = append(loc.Related, finding.Related{Role: "policy", Object: pol.Ref})
			}
		}
		p.Report(loc)
	}
}

// namespaceOpen lists the workloads of a namespace NetworkPolicy governs
// (not on the host network) and those of them open in a direction.
func namespaceOpen(f *netpolFacts, nsName string, egress bool) (governed, open []*netpol.Workload) {
	facts := f.namespaces[nsName]
	if facts == nil {
		return nil, nil
	}
	for _, w := range facts.workloads {
		if w.HostNetwork {
			continue
		}
		governed = append(governed, w)
		cs := f.summary.Classes[w.Class.ID]
		if (egress && !cs.EgressIsolated) || (!egress && !cs.IngressIsolated) {
			open = append(open, w)
		}
	}
	return governed, open
}

// defaultDenyMessage says what is missing and what it leaves open.
func defaultDenyMessage(nsName string, noObject, egress bool, undone *netpol.RuleRef, governed, openNow []*netpol.Workload, unit string) string {
	dir, open := "ingress", "accept connections from any pod and any address"
	if egress {
		dir, open = "egress", "be able to connect to any pod and any address (the internet and the cloud metadata endpoint included)"
	}
	ns := "namespace " + nsName
	if noObject {
		ns += " (no Namespace object in the input)"
	}
	msg := fmt.Sprintf("%s has no default-deny %s policy (a NetworkPolicy with podSelector {} and policyTypes [%s])",
		ns, dir, capitalize(dir))
	if undone != nil {
		msg = fmt.Sprintf("%s has no working default-deny %s policy: %s selects every pod but its %s rule %d allows everything (%s)",
			ns, dir, netpol.PolicyName(undone.Policy), dir, undone.Rule+1, undone.Get(egress).Describe(egress))
	}
	switch {
	case len(governed) == 0:
		return msg + "; no workload of the input runs in it (on the pod network), but every pod created there will " + open
	case len(openNow) == 0:
		return msg + fmt.Sprintf("; other policies isolate its %s today, but a new pod they do not select will %s",
			countOf(len(governed), unit), open)
	}
	return msg + fmt.Sprintf("; open to %s today: %s (%d of %s)", openTo(egress), workloadNames(openNow),
		len(openNow), countOf(len(governed), unit))
}

// openTo names what an open direction admits, briefly.
func openTo(egress bool) string {
	if egress {
		return "any destination"
	}
	return "any client"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// newNetpolDefaultDeny declares the default-deny rule of a direction.
func newNetpolDefaultDeny(id finding.RuleID, egress bool, sev finding.Severity, summary, doc, remediation string, refs ...string) *Check {
	return &Check{
		ID: id, Category: finding.CategoryNetwork, Severity: sev, Summary: summary, Doc: doc + netpolDocCommon,
		Remediation: remediation, References: append(append([]string(nil), netpolRefs...), refs...),
		Engine: EngineGo, Kinds: defaultDenyKinds, Run: runDefaultDeny(egress),
	}
}
