package netpol_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/kharden/kharden/pkg/analysis/netpol"
	"github.com/kharden/kharden/pkg/analysis/netpol/netgen"
)

// Property tests over random networks from netgen. Each failure names the
// seed: rerun with that seed to get the same network.

const propSeeds = 300

// propSize is a small network whose shape varies with the seed.
func propSize(r *rand.Rand) netgen.Size {
	return netgen.Size{Namespaces: 1 + r.IntN(4), Pods: 4 + r.IntN(10), Policies: r.IntN(10)}
}

func propModel(t *testing.T, seed int64, objs []map[string]any) *netpol.Model {
	t.Helper()
	inv, err := netgen.Inventory(objs)
	if err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	return netpol.Build(inv)
}

// propQuestion is one connection asked of two models.
type propQuestion struct {
	src, dst int // indexes into propEndpoints
	conn     netpol.Conn
}

// propEndpoints lists the model's workloads (in the model's order, the
// same for two models of nearly the same objects) and a few addresses
// outside the cluster.
func propEndpoints(r *rand.Rand, m *netpol.Model) []netpol.Endpoint {
	var eps []netpol.Endpoint
	for _, w := range m.Workloads {
		eps = append(eps, netpol.Endpoint{Workload: w})
	}
	addrs := netgen.Addresses()
	for range 4 {
		eps = append(eps, netpol.Endpoint{IP: addrs[r.IntN(len(addrs))]})
	}
	return eps
}

// Ports likely to meet the generated rules, and some that are not.
var propPorts = []int32{53, 80, 443, 514, 3868, 5432, 6379, 8000, 8080, 8100, 8443, 9090, 9100, 50051}

var propProtocols = []string{netpol.TCP, netpol.UDP, netpol.SCTP}

// propQuestions asks, for every pair of endpoints with a pod at one end,
// the destination's declared ports, port 0 of every protocol, a few likely
// ports and one random port.
func propQuestions(r *rand.Rand, eps []netpol.Endpoint) []propQuestion {
	var qs []propQuestion
	for i, src := range eps {
		for j, dst := range eps {
			if src.External() && dst.External() {
				continue
			}
			var conns []netpol.Conn
			if !dst.External() {
				for _, cp := range dst.Workload.Ports {
					conns = append(conns, netpol.Conn{Port: cp.Port, Protocol: cp.Protocol})
				}
			}
			for _, p := range propProtocols {
				conns = append(conns, netpol.Conn{Protocol: p})
			}
			for range 3 {
				conns = append(conns, netpol.Conn{Port: propPorts[r.IntN(len(propPorts))], Protocol: propProtocols[r.IntN(3)]})
			}
			conns = append(conns, netpol.Conn{Port: int32(1 + r.IntN(65535)), Protocol: propProtocols[r.IntN(3)]})
			for _, c := range conns {
				qs = append(qs, propQuestion{src: i, dst: j, conn: c})
			}
		}
	}
	return qs
}

func propSelects(s netpol.Side, name string) bool {
	for _, p := range s.Selecting {
		if p.Ref.Name == name {
			return true
		}
	}
	return false
}

// (a) Adding a policy only adds allowances for pods already isolated in a
// direction: for such a pod the allowed set of that direction only grows
// (and the pod stays isolated). A pod the new policy does not select for
// a direction keeps exactly its verdict in that direction. (A pod that was
// not isolated may lose connections: the new policy isolates it.)
func TestPropertyAddingPolicyOnlyGrowsIsolated(t *testing.T) {
	for seed := int64(0); seed < propSeeds; seed++ {
		r := rand.New(rand.NewPCG(uint64(seed), 0xa))
		size := propSize(r)
		objs := netgen.Generate(seed, size)
		extra := netgen.Policy(seed, size.Namespaces, size.Policies)
		extraName := extra["metadata"].(map[string]any)["name"].(string)
		before := propModel(t, seed, objs)
		after := propModel(t, seed, append(objs, extra))
		eps0 := propEndpoints(r, before)
		eps1 := make([]netpol.Endpoint, len(eps0))
		for i, e := range eps0 {
			eps1[i] = e
			if !e.External() {
				eps1[i] = netpol.Endpoint{Workload: after.Workloads[i]}
			}
		}
		for _, q := range propQuestions(r, eps0) {
			d0 := before.Reach(eps0[q.src], eps0[q.dst], q.conn)
			d1 := after.Reach(eps1[q.src], eps1[q.dst], q.conn)
			where := fmt.Sprintf("seed %d (size %+v, added %s): %s -> %s %d/%s", seed, size, extraName, eps0[q.src], eps0[q.dst], q.conn.Port, q.conn.Protocol)
			if msg := propGrows(d0.Egress, d1.Egress, extraName); msg != "" {
				t.Fatalf("%s: egress %s\n  before: %s\n  after: %s", where, msg, truthExplain(d0), truthExplain(d1))
			}
			if msg := propGrows(d0.Ingress, d1.Ingress, extraName); msg != "" {
				t.Fatalf("%s: ingress %s\n  before: %s\n  after: %s", where, msg, truthExplain(d0), truthExplain(d1))
			}
		}
	}
}

// propGrows checks one side before and after a policy was added.
func propGrows(before, after netpol.Side, added string) string {
	switch {
	case before.Isolated && !after.Isolated:
		return "was isolated and is not any more"
	case before.Isolated && before.Allowed && !after.Allowed:
		return "was allowed for an isolated pod and is denied after adding a policy"
	case !propSelects(after, added) && before.Allowed != after.Allowed:
		return "changed although the added policy does not select the pod"
	}
	return ""
}

// (b) Adding a default deny for a direction to a namespace leaves, for the
// pods of that namespace, exactly what the other policies' rules allow: a
// connection passes that direction iff some rule of a policy selecting
// the pod for it allows the connection. Every other side is unchanged
// (other namespaces, the other direction, hostNetwork pods, which no
// policy selects).
func TestPropertyDefaultDenyLeavesExactlyTheRules(t *testing.T) {
	for seed := int64(0); seed < propSeeds; seed++ {
		r := rand.New(rand.NewPCG(uint64(seed), 0xb))
		size := propSize(r)
		objs := netgen.Generate(seed, size)
		ns := fmt.Sprintf("ns%d", r.IntN(size.Namespaces))
		ingress, egress := true, true
		switch seed % 3 {
		case 0:
			egress = false
		case 1:
			ingress = false
		}
		before := propModel(t, seed, objs)
		after := propModel(t, seed, append(objs, netgen.DefaultDeny("prop-default-deny", ns, ingress, egress)))
		eps0 := propEndpoints(r, before)
		eps1 := make([]netpol.Endpoint, len(eps0))
		for i, e := range eps0 {
			eps1[i] = e
			if !e.External() {
				eps1[i] = netpol.Endpoint{Workload: after.Workloads[i]}
			}
		}
		for _, q := range propQuestions(r, eps0) {
			src, dst := eps0[q.src], eps0[q.dst]
			d0 := before.Reach(src, dst, q.conn)
			d1 := after.Reach(eps1[q.src], eps1[q.dst], q.conn)
			where := fmt.Sprintf("seed %d (size %+v, default deny in %s ingress=%v egress=%v): %s -> %s %d/%s",
				seed, size, ns, ingress, egress, src, dst, q.conn.Port, q.conn.Protocol)
			want := d0.Egress.Allowed
			if egress && propDenied(src, ns) {
				want = propRulesAllow(before, src.Workload, dst, dst.Workload, q.conn, true)
			}
			if d1.Egress.Allowed != want {
				t.Fatalf("%s: egress allowed=%v, want %v\n  before: %s\n  after: %s", where, d1.Egress.Allowed, want, truthExplain(d0), truthExplain(d1))
			}
			want = d0.Ingress.Allowed
			if ingress && propDenied(dst, ns) {
				want = propRulesAllow(before, dst.Workload, src, dst.Workload, q.conn, false)
			}
			if d1.Ingress.Allowed != want {
				t.Fatalf("%s: ingress allowed=%v, want %v\n  before: %s\n  after: %s", where, d1.Ingress.Allowed, want, truthExplain(d0), truthExplain(d1))
			}
			// Port 0 asks for some port: both sides may each allow one
			// but not the same one.
			both := d1.Egress.Allowed && d1.Ingress.Allowed
			if d1.Allowed != both && (q.conn.Port != 0 || d1.Allowed) {
				t.Fatalf("%s: decision %v with egress %v and ingress %v", where, d1.Allowed, d1.Egress.Allowed, d1.Ingress.Allowed)
			}
		}
	}
}

// propDenied: the default deny of namespace ns governs the endpoint.
func propDenied(e netpol.Endpoint, ns string) bool {
	return !e.External() && !e.Workload.HostNetwork && e.Workload.Namespace.Name == ns
}

// propRulesAllow is the specification's verdict written out from the
// policies: some policy of w's namespace that selects w for the direction
// has a rule whose peers include peer (or are every peer) and whose ports
// include the connection to dst (or are every port).
func propRulesAllow(m *netpol.Model, w *netpol.Workload, peer netpol.Endpoint, dst *netpol.Workload, c netpol.Conn, egress bool) bool {
	for _, p := range m.PoliciesIn(w.Namespace.Name) {
		rules := p.IngressRules
		if egress {
			rules = p.EgressRules
		}
		if (egress && !p.Egress) || (!egress && !p.Ingress) || !p.PodSelector.Matches(w.Labels) {
			continue
		}
		for i := range rules {
			if propPeersInclude(m, &rules[i], p.Namespace, peer) && propPortsInclude(&rules[i], c, dst) {
				return true
			}
		}
	}
	return false
}

func propPeersInclude(m *netpol.Model, r *netpol.Rule, ns string, peer netpol.Endpoint) bool {
	if len(r.Peers) == 0 {
		return true
	}
	for i := range r.Peers {
		if m.PeerMatches(&r.Peers[i], ns, peer) {
			return true
		}
	}
	return false
}

func propPortsInclude(r *netpol.Rule, c netpol.Conn, dst *netpol.Workload) bool {
	if len(r.Ports) == 0 {
		return true
	}
	for i := range r.Ports {
		if netpol.PortMatches(&r.Ports[i], c, dst) {
			return true
		}
	}
	return false
}
