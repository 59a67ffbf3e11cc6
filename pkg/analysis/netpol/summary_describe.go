package netpol

import (
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
)

// Describe renders a rule for people: "from podSelector app=web; ports
// 5432/TCP" (egress rules say "to"). Rules are named "ingress rule N" by
// their position from 1 (see RuleRef.Name).
func (r *Rule) Describe(egress bool) string {
	dir := "from "
	if egress {
		dir = "to "
	}
	var parts []string
	if r.Peers == nil {
		parts = append(parts, dir+"every peer")
	} else {
		peers := make([]string, 0, len(r.Peers))
		for i := range r.Peers {
			peers = append(peers, r.Peers[i].Describe())
		}
		parts = append(parts, dir+strings.Join(peers, " or "))
	}
	parts = append(parts, r.PortsText())
	return strings.Join(parts, "; ")
}

// PortsText is "every port" or "ports 443/TCP, http/TCP, 53/UDP".
func (r *Rule) PortsText() string {
	if r.Ports == nil {
		return "every port"
	}
	ports := make([]string, 0, len(r.Ports))
	for _, p := range r.Ports {
		ports = append(ports, p.String())
	}
	return "ports " + strings.Join(ports, ", ")
}

// Describe renders a peer: "ipBlock 0.0.0.0/0 except 10.0.0.0/8",
// "namespaceSelector team=a, podSelector app=web", "podSelector {}".
func (p *Peer) Describe() string {
	if p.IPBlock != nil {
		s := "ipBlock " + p.IPBlock.CIDR.String()
		if len(p.IPBlock.Except) > 0 {
			ex := make([]string, len(p.IPBlock.Except))
			for i, e := range p.IPBlock.Except {
				ex[i] = e.String()
			}
			s += " except " + strings.Join(ex, ", ")
		}
		return s
	}
	var parts []string
	if p.NamespaceSelector != nil {
		parts = append(parts, "namespaceSelector "+SelectorText(p.NamespaceSelector))
	}
	if p.PodSelector != nil {
		parts = append(parts, "podSelector "+SelectorText(p.PodSelector))
	}
	return strings.Join(parts, ", ")
}

// SelectorText renders a selector: "{}" selects everything, "(nothing)"
// is an unreadable selector read as selecting nothing.
func SelectorText(s labels.Selector) string {
	switch {
	case s == nil || s.Empty():
		return "{}"
	case s.String() == "":
		return "(nothing)"
	}
	return s.String()
}

func (p PortRule) String() string {
	switch {
	case p.Named != "":
		return p.Named + "/" + p.Protocol
	case p.Port == nil:
		return "every " + p.Protocol + " port"
	case p.EndPort != nil:
		return strconv.Itoa(int(*p.Port)) + "-" + strconv.Itoa(int(*p.EndPort)) + "/" + p.Protocol
	}
	return strconv.Itoa(int(*p.Port)) + "/" + p.Protocol
}

// Name is "NetworkPolicy shop/web-egress egress rule 2" (rules counted
// from 1, as people read a list).
func (r RuleRef) Name(egress bool) string {
	dir := " ingress rule "
	if egress {
		dir = " egress rule "
	}
	return PolicyName(r.Policy) + dir + strconv.Itoa(r.Rule+1)
}

// Get returns the rule a reference names.
func (r RuleRef) Get(egress bool) *Rule {
	if egress {
		return &r.Policy.EgressRules[r.Rule]
	}
	return &r.Policy.IngressRules[r.Rule]
}

// PolicyName is "NetworkPolicy shop/web-egress".
func PolicyName(p *Policy) string { return "NetworkPolicy " + p.Namespace + "/" + p.Ref.Name }
