package netgen

import (
	"math/rand/v2"
)

var protocols = []string{"TCP", "UDP", "SCTP"}

// policyGen draws the parts of one policy.
type policyGen struct {
	r          *rand.Rand
	namespaces int
}

// policy mixes namespace-wide default-denies with policies that select by
// labels or expressions, every policyTypes form (absent, empty, one, both)
// and ingress and egress sections that may be absent, empty, or hold
// rules with absent, empty or listed peers and ports.
func policy(r *rand.Rand, name, namespace string, namespaces int) map[string]any {
	g := policyGen{r: r, namespaces: namespaces}
	if chance(r, 15) {
		switch r.IntN(3) {
		case 0:
			return DefaultDeny(name, namespace, true, false)
		case 1:
			return DefaultDeny(name, namespace, false, true)
		default:
			return DefaultDeny(name, namespace, true, true)
		}
	}
	spec := map[string]any{"podSelector": g.podSelector()}
	switch r.IntN(6) {
	case 1:
		spec["policyTypes"] = []any{}
	case 2:
		spec["policyTypes"] = []any{"Ingress"}
	case 3:
		spec["policyTypes"] = []any{"Egress"}
	case 4:
		spec["policyTypes"] = []any{"Ingress", "Egress"}
	}
	if chance(r, 80) {
		spec["ingress"] = g.rules("from")
	}
	if chance(r, 50) {
		spec["egress"] = g.rules("to")
	}
	return networkPolicy(name, namespace, spec)
}

// rules returns zero to two rules (zero: an empty section).
func (g policyGen) rules(peersKey string) []any {
	out := make([]any, g.r.IntN(3))
	for i := range out {
		rule := map[string]any{}
		switch roll := g.r.IntN(10); {
		case roll == 0: // every peer, the key absent
		case roll == 1:
			rule[peersKey] = []any{}
		default:
			peers := make([]any, 1+g.r.IntN(2))
			for j := range peers {
				peers[j] = g.peer()
			}
			rule[peersKey] = peers
		}
		switch roll := g.r.IntN(20); {
		case roll < 6: // every port, the key absent
		case roll == 6:
			rule["ports"] = []any{}
		default:
			ports := make([]any, 1+g.r.IntN(2))
			for j := range ports {
				ports[j] = g.port()
			}
			rule["ports"] = ports
		}
		out[i] = rule
	}
	return out
}

func (g policyGen) peer() map[string]any {
	switch g.r.IntN(5) {
	case 0:
		return map[string]any{"podSelector": g.podSelector()}
	case 1:
		return map[string]any{"namespaceSelector": g.namespaceSelector()}
	case 2:
		return map[string]any{"podSelector": g.podSelector(), "namespaceSelector": g.namespaceSelector()}
	default:
		b := pick(g.r, cidrs)
		block := map[string]any{"cidr": b.cidr}
		if len(b.except) > 0 && chance(g.r, 80) {
			except := make([]any, len(b.except))
			for i, e := range b.except {
				except[i] = e
			}
			block["except"] = except
		}
		return map[string]any{"ipBlock": block}
	}
}

func (g policyGen) podSelector() map[string]any {
	keys := map[string][]string{"app": apps, "tier": tiers, "version": {"v1", "v2"}}
	return g.selector([]string{"app", "tier", "version"}, keys)
}

func (g policyGen) namespaceSelector() map[string]any {
	names := make([]string, min(g.namespaces, 4))
	for i := range names {
		names[i] = namespaceName(g.r.IntN(g.namespaces))
	}
	keys := map[string][]string{"env": envs, "team": teams, "kubernetes.io/metadata.name": names}
	return g.selector([]string{"env", "team", "kubernetes.io/metadata.name"}, keys)
}

// selector is empty, one matchLabels pair, or one or two expressions with
// any operator (values drawn from the key's vocabulary).
func (g policyGen) selector(order []string, values map[string][]string) map[string]any {
	switch roll := g.r.IntN(100); {
	case roll < 15:
		return map[string]any{}
	case roll < 60:
		k := pick(g.r, order)
		return map[string]any{"matchLabels": map[string]any{k: pick(g.r, values[k])}}
	default:
		exprs := make([]any, 1+g.r.IntN(2))
		for i := range exprs {
			k := pick(g.r, order)
			req := map[string]any{"key": k}
			switch g.r.IntN(4) {
			case 0:
				req["operator"] = "In"
				req["values"] = []any{pick(g.r, values[k]), pick(g.r, values[k])}
			case 1:
				req["operator"] = "NotIn"
				req["values"] = []any{pick(g.r, values[k])}
			case 2:
				req["operator"] = "Exists"
			default:
				req["operator"] = "DoesNotExist"
			}
			exprs[i] = req
		}
		return map[string]any{"matchExpressions": exprs}
	}
}

// port is a number, a name (declared by some pods under several numbers,
// or by none), a range, a protocol alone, or empty.
func (g policyGen) port() map[string]any {
	np := pick(g.r, portCatalogue)
	p := map[string]any{}
	switch roll := g.r.IntN(100); {
	case roll < 35:
		p["port"] = pick(g.r, np.numbers)
	case roll < 55:
		p["port"] = np.name
	case roll < 60:
		p["port"] = undeclaredPortName
	case roll < 75:
		start := pick(g.r, np.numbers)
		p["port"] = start
		p["endPort"] = start + int64(g.r.IntN(200))
	case roll < 90:
		p["protocol"] = pick(g.r, protocols)
		return p
	default:
		return p
	}
	switch {
	case chance(g.r, 10):
		p["protocol"] = pick(g.r, protocols)
	case np.protocol != "TCP" || chance(g.r, 20):
		p["protocol"] = np.protocol
	}
	return p
}
