package network

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kharden/kharden/pkg/analysis/netpol"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// anywhere are the ipBlocks of "any address outside the cluster".
var anywhere = []CIDRSpec{{CIDR: netip.MustParsePrefix("0.0.0.0/0")}, {CIDR: netip.MustParsePrefix("::/0")}}

// makePolicies writes, for every namespace the plan isolates, a default
// deny, an allow-dns and the allows that keep the flows it keeps (each
// side in its own namespace), and files them under the namespace's phase.
func (pl *planner) makePolicies() error {
	dns, err := pl.r.app(pl.opts.DNS)
	if err != nil {
		return err
	}
	if len(pl.r.selected(dns)) == 0 && pl.hasWorkloads(dns.Namespace) {
		pl.warn("no workload of namespace %s matches the DNS selector (%s): allow-dns would not reach DNS; check --dns-namespace and --dns-selector",
			dns.Namespace, metav1.FormatLabelSelector(dns.Selector))
	}
	var all []Policy
	nss := make([]string, 0, len(pl.phaseOf))
	for ns := range pl.phaseOf {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	for _, ns := range nss {
		all = append(all, newPolicy(KindDefaultDeny, ns, "default-deny",
			fmt.Sprintf("plan phase %d: default deny: pods of namespace %s accept and open only the connections other policies allow", pl.phaseOf[ns], ns),
			&metav1.LabelSelector{}, true, true))
		all = append(all, allowDNSPolicy(ns, dns))
	}
	all = append(all, pl.keepPolicies()...)
	all = pl.r.finish(all)
	for _, p := range all {
		ph := &pl.plan.Phases[pl.phaseOf[p.Object.Namespace]-1]
		ph.Policies = append(ph.Policies, p)
	}
	return nil
}

// sideGroup gathers the rules of one keep policy: per peer, its ports and
// why.
type sideGroup struct {
	t     target
	order []string
	peers map[string][]networkingv1.NetworkPolicyPeer
	ports map[string][]Port
	whys  map[string][]string
	descs map[string]string
}

func newSideGroup(t target) *sideGroup {
	return &sideGroup{t: t, peers: map[string][]networkingv1.NetworkPolicyPeer{}, ports: map[string][]Port{},
		whys: map[string][]string{}, descs: map[string]string{}}
}

func (g *sideGroup) add(peers []networkingv1.NetworkPolicyPeer, desc string, p Port, why string) {
	key := fmt.Sprint(peers)
	if _, ok := g.peers[key]; !ok {
		g.peers[key] = peers
		g.order = append(g.order, key)
		g.descs[key] = desc
	}
	if !containsPort(g.ports[key], p) {
		g.ports[key] = append(g.ports[key], p)
	}
	if !contains(g.whys[key], why) {
		g.whys[key] = append(g.whys[key], why)
	}
}

func containsPort(ps []Port, p Port) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}

func targetKey(t target) string { return t.Namespace + "\x00" + metav1.FormatLabelSelector(t.Selector) }

// keepPolicies turns the keeps into one ingress policy per destination app
// and one egress policy per source app, in the namespaces the plan
// isolates (elsewhere nothing is denied, so nothing needs allowing — and
// an egress policy there would isolate the source).
func (pl *planner) keepPolicies() []Policy {
	ingress, egress := map[string]*sideGroup{}, map[string]*sideGroup{}
	var inOrder, egOrder []string
	group := func(m map[string]*sideGroup, order *[]string, t target) *sideGroup {
		k := targetKey(t)
		if m[k] == nil {
			m[k] = newSideGroup(t)
			*order = append(*order, k)
		}
		return m[k]
	}
	for _, k := range pl.keeps {
		if k.dst != nil {
			if _, isolated := pl.phaseOf[k.dst.Namespace]; isolated {
				g := group(ingress, &inOrder, *k.dst)
				if k.src == nil {
					g.add([]networkingv1.NetworkPolicyPeer{cidrPeer(anywhere[0]), cidrPeer(anywhere[1])}, "outside the cluster", k.port, k.why)
				} else {
					g.add([]networkingv1.NetworkPolicyPeer{appPeer(*k.src)}, k.src.Desc, k.port, k.why)
				}
			}
		}
		if k.src != nil {
			if _, isolated := pl.phaseOf[k.src.Namespace]; isolated {
				g := group(egress, &egOrder, *k.src)
				if k.dst != nil {
					g.add([]networkingv1.NetworkPolicyPeer{appPeer(*k.dst)}, k.dst.Desc, k.port, k.why)
				} else {
					c := withMetadataExcepts(*k.cidr)
					g.add([]networkingv1.NetworkPolicyPeer{cidrPeer(c)}, describeCIDR(c), k.port, k.why)
				}
			}
		}
	}
	var out []Policy
	for _, key := range inOrder {
		g := ingress[key]
		var entries []ingressPeer
		var parts []string
		for _, pk := range g.order {
			entries = append(entries, ingressPeer{peers: g.peers[pk], ports: g.ports[pk]})
			parts = append(parts, fmt.Sprintf("from %s on %s (%s)", g.descs[pk], portList(g.ports[pk]), strings.Join(g.whys[pk], "; ")))
		}
		out = append(out, ingressFrom(KindPlanAllow, g.t, entries, policyName("keep", g.t.Name, "ingress"),
			fmt.Sprintf("plan phase %d: keep the flows into %s: %s", pl.phaseOf[g.t.Namespace], g.t.Desc, strings.Join(parts, "; "))))
	}
	for _, key := range egOrder {
		g := egress[key]
		var peers []egressPeer
		var parts []string
		for _, pk := range g.order {
			peers = append(peers, egressPeer{peers: g.peers[pk], ports: g.ports[pk]})
			parts = append(parts, fmt.Sprintf("to %s on %s (%s)", g.descs[pk], portList(g.ports[pk]), strings.Join(g.whys[pk], "; ")))
		}
		out = append(out, egressTo(KindPlanAllow, g.t, peers, policyName("keep", g.t.Name, "egress"),
			fmt.Sprintf("plan phase %d: keep the flows out of %s: %s", pl.phaseOf[g.t.Namespace], g.t.Desc, strings.Join(parts, "; "))))
	}
	return out
}

// evaluate asks the model, before and after each phase's policies are
// added to those of the phases before it, which flows still pass.
func (pl *planner) evaluate() {
	before := pl.before
	allowed := make([]bool, len(pl.flows))
	for i, f := range pl.flows {
		allowed[i] = before.allowed(f.src, f.dst, f.show.Port, f.show.Protocol)
		if !allowed[i] && f.keep {
			pl.warn("%s is denied by the input's policies today: the plan's allows may open it", f.show)
		}
	}
	var applied []Policy
	for k := range pl.plan.Phases {
		ph := &pl.plan.Phases[k]
		applied = append(applied, ph.Policies...)
		in := map[string]bool{}
		for _, n := range ph.Namespaces {
			in[n.Name] = true
		}
		after := newEvaluator(withPolicies(pl.inv, applied))
		for i, f := range pl.flows {
			if !allowed[i] {
				continue
			}
			now := after.allowed(f.src, f.dst, f.show.Port, f.show.Protocol)
			touches := (f.src.Workload != nil && in[f.src.Workload.Namespace.Name]) || (f.dst.Workload != nil && in[f.dst.Workload.Namespace.Name])
			switch {
			case !now:
				ph.Cut = append(ph.Cut, f.show)
				allowed[i] = false
				if f.keep {
					pl.warn("phase %d cuts %s although the plan means to keep it: check the selectors of both ends", ph.Number, f.show)
				}
			case touches:
				ph.Kept = append(ph.Kept, f.show)
			}
		}
		ph.Cut = sortFlows(ph.Cut)
		ph.Kept = sortFlows(ph.Kept)
	}
}

// withPolicies is the model of the input with policies added.
func withPolicies(inv *inventory.Inventory, ps []Policy) *netpol.Model {
	var b inventory.Builder
	for _, o := range inv.Objects {
		b.Add(o)
	}
	for _, p := range ps {
		if o, err := PolicyObject(p); err == nil {
			b.Add(o)
		}
	}
	return netpol.Build(b.Build())
}

// PolicyObject is a generated policy as an inventory object (what the
// model reads).
func PolicyObject(p Policy) (*inventory.Object, error) {
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(p.Object)
	if err != nil {
		return nil, err
	}
	return inventory.NewObject(content, inventory.OriginBuiltIn, finding.Source{})
}

// evaluator asks a model about flows of another model of the same input,
// once per pair of classes.
type evaluator struct {
	m      *netpol.Model
	byName map[string]*netpol.Workload
	memo   map[evalKey]bool
}

type evalKey struct {
	src, dst string
	port     int32
	proto    string
}

func newEvaluator(m *netpol.Model) *evaluator {
	e := &evaluator{m: m, byName: map[string]*netpol.Workload{}, memo: map[evalKey]bool{}}
	for _, w := range m.Workloads {
		if e.byName[w.Name()] == nil {
			e.byName[w.Name()] = w
		}
	}
	return e
}

// local maps an endpoint of any model of the input to this model's.
func (e *evaluator) local(ep netpol.Endpoint) (netpol.Endpoint, string) {
	if ep.Workload == nil {
		return ep, "ip:" + ep.IP.String()
	}
	w := e.byName[ep.Workload.Name()]
	if w == nil {
		return ep, "w:" + ep.Workload.Name()
	}
	return netpol.Endpoint{Workload: w}, fmt.Sprintf("c:%d", w.Class.ID)
}

func (e *evaluator) allowed(src, dst netpol.Endpoint, port int32, proto string) bool {
	s, sk := e.local(src)
	d, dk := e.local(dst)
	k := evalKey{sk, dk, port, proto}
	if v, ok := e.memo[k]; ok {
		return v
	}
	v := e.m.Reach(s, d, netpol.Conn{Port: port, Protocol: proto}).Allowed
	e.memo[k] = v
	return v
}

// MarshalJSON lists a policy by name, generator and purpose (the object
// itself is for -o yaml).
func (p Policy) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
		Generator Kind   `json:"generator"`
		Purpose   string `json:"purpose"`
	}{p.Object.Namespace, p.Object.Name, p.Kind, p.Purpose})
}

func (pl *planner) hasWorkloads(ns string) bool {
	for _, w := range pl.m.Workloads {
		if w.Namespace.Name == ns {
			return true
		}
	}
	return false
}
