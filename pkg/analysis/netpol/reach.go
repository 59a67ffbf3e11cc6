package netpol

import (
	"net/netip"
)

// Endpoint is one end of a connection: the pods of a workload, or an
// address outside the cluster.
type Endpoint struct {
	Workload *Workload
	IP       netip.Addr
}

// External reports whether the endpoint is outside the cluster.
func (e Endpoint) External() bool { return e.Workload == nil }

func (e Endpoint) String() string {
	if e.Workload != nil {
		return e.Workload.Name()
	}
	return "ip:" + e.IP.String()
}

// Conn is what is asked: a protocol and a port; Port 0 asks whether some
// port of the protocol is allowed.
type Conn struct {
	Port     int32
	Protocol string
}

// RuleRef names one rule of a policy (Rule is its index in IngressRules or
// EgressRules).
type RuleRef struct {
	Policy *Policy
	Rule   int
}

// Side is the verdict of one direction: the source's egress or the
// destination's ingress.
type Side struct {
	// Governed is false for an endpoint outside the cluster: no policy of
	// this cluster decides its side.
	Governed bool
	// Isolated: some policy selects the pod for this direction, so only
	// what those policies allow passes.
	Isolated bool
	// HostNetwork: the pod uses its node's network, which policies do not
	// govern (see Model.side); it is open in this direction.
	HostNetwork bool
	// Selecting are the policies selecting the pod for this direction.
	Selecting []*Policy
	// Allowing are the rules that let the connection through.
	Allowing []RuleRef
	Allowed  bool
}

// Decision is the answer for one connection: allowed when the source's
// egress and the destination's ingress both allow it.
type Decision struct {
	Allowed bool
	Egress  Side
	Ingress Side
	// NoCommonPort: asked for some port (Port 0), each side allows some
	// port of the protocol but none is allowed by both (egress to 80 only,
	// ingress on 443 only), so no connection passes.
	NoCommonPort bool
}

// Reach decides whether src may open a connection to dst, and why.
func (m *Model) Reach(src, dst Endpoint, c Conn) Decision {
	if c.Protocol == "" {
		c.Protocol = TCP
	}
	var d Decision
	d.Egress = m.side(src.Workload, dst, c, true)
	d.Ingress = m.side(dst.Workload, src, c, false)
	d.Allowed = d.Egress.Allowed && d.Ingress.Allowed
	if c.Port == 0 && d.Allowed && !commonPort(&d, dst, c.Protocol) {
		d.Allowed, d.NoCommonPort = false, true
	}
	return d
}

// side judges one direction for the pod w (nil: outside the cluster);
// peer is the other end. For egress the named ports are those of the peer
// (the destination); for ingress those of w.
//
// A hostNetwork pod is modelled as the most common network plugins treat
// it (Kubernetes leaves the behaviour undefined): no policy's podSelector
// selects it, so it is open in both directions, and no peer selector
// matches it (see PeerMatches). Traffic between a pod and its own node is
// always allowed by the plugins; the model does not know nodes.
func (m *Model) side(w *Workload, peer Endpoint, c Conn, egress bool) Side {
	if w == nil {
		return Side{Allowed: true}
	}
	if w.HostNetwork {
		return Side{Governed: true, HostNetwork: true, Allowed: true}
	}
	s := Side{Governed: true}
	dst := w
	if egress {
		dst = peer.Workload
	}
	for _, p := range m.byNamespace[w.Namespace.Name] {
		if (egress && !p.Egress) || (!egress && !p.Ingress) || !p.PodSelector.Matches(w.Labels) {
			continue
		}
		s.Isolated = true
		s.Selecting = append(s.Selecting, p)
		rules := p.IngressRules
		if egress {
			rules = p.EgressRules
		}
		for i := range rules {
			if m.ruleAllows(&rules[i], p.Namespace, peer, dst, c) {
				s.Allowing = append(s.Allowing, RuleRef{Policy: p, Rule: i})
			}
		}
	}
	s.Allowed = !s.Isolated || len(s.Allowing) > 0
	return s
}

// ruleAllows: the peer is among the rule's peers and the connection among
// its ports (dst is the pod whose named ports count; nil outside).
func (m *Model) ruleAllows(r *Rule, policyNS string, peer Endpoint, dst *Workload, c Conn) bool {
	if r.Peers != nil {
		found := false
		for i := range r.Peers {
			if m.PeerMatches(&r.Peers[i], policyNS, peer) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if r.Ports == nil {
		return true
	}
	for i := range r.Ports {
		if PortMatches(&r.Ports[i], c, dst) {
			return true
		}
	}
	return false
}

// PeerMatches reports whether a from/to entry of a policy in policyNS
// covers the endpoint. Pod selectors match pods only; an ipBlock matches
// addresses outside the cluster only (whether it matches pod addresses
// depends on the network plugin; kharden does not count on it). A
// hostNetwork pod speaks with its node's address: no selector matches it,
// and neither does an ipBlock (the node's address is not known), so only
// a rule admitting every peer admits it.
func (m *Model) PeerMatches(p *Peer, policyNS string, e Endpoint) bool {
	if e.Workload == nil {
		return p.IPBlock != nil && p.IPBlock.Contains(e.IP)
	}
	if p.IPBlock != nil || e.Workload.HostNetwork {
		return false
	}
	w := e.Workload
	if p.NamespaceSelector == nil {
		if w.Namespace.Name != policyNS {
			return false
		}
	} else if !p.NamespaceSelector.Matches(w.Namespace.Labels) {
		return false
	}
	return p.PodSelector == nil || p.PodSelector.Matches(w.Labels)
}

// PortMatches reports whether a ports entry covers the connection to dst
// (nil: outside the cluster, which has no named ports). Port 0 in the
// connection asks for some port: any numeric entry of the protocol has one.
func PortMatches(pr *PortRule, c Conn, dst *Workload) bool {
	if pr.Protocol != c.Protocol {
		return false
	}
	if pr.Port == nil && pr.Named == "" {
		return true
	}
	if pr.Named != "" {
		if dst == nil {
			return false
		}
		for _, cp := range dst.Ports {
			if cp.Name == pr.Named && cp.Protocol == c.Protocol && (c.Port == 0 || cp.Port == c.Port) {
				return true
			}
		}
		return false
	}
	if c.Port == 0 {
		return true
	}
	if pr.EndPort != nil {
		return c.Port >= *pr.Port && c.Port <= *pr.EndPort
	}
	return c.Port == *pr.Port
}
