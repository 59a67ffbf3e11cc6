package network

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kharden/kharden/internal/testcluster"
	"github.com/kharden/kharden/pkg/analysis/netpol"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// liveIPs are the addresses outside the cluster every scenario asks
// about: public, private, the metadata endpoints, IPv6.
var liveIPs = []string{"8.8.8.8", "192.0.2.7", "10.1.2.3", "172.16.0.9", "169.254.169.254", "100.100.100.200",
	"fd00:ec2::254", "2001:db8::1", "10.96.0.1", "203.0.113.10"}

// livePorts are asked on every protocol, with every declared port and 0
// ("some port").
var livePorts = []int32{0, 1, 53, 80, 443, 5432, 8080, 8443, 9000, 9050, 9090, 9100, 9101}

// conn is one question: names of both ends and a connection.
type conn struct {
	src, dst string
	c        netpol.Conn
}

func (c conn) String() string {
	return fmt.Sprintf("%s -> %s %d/%s", c.src, c.dst, c.c.Port, c.c.Protocol)
}

// reachability is every answer of a model over the same questions.
type reachability map[conn]bool

// reachAll asks a model every question: each workload and address to each
// workload and address, on every port and protocol.
func reachAll(m *netpol.Model) reachability {
	var eps []netpol.Endpoint
	for _, w := range m.Workloads {
		eps = append(eps, netpol.Endpoint{Workload: w})
	}
	for _, ip := range liveIPs {
		eps = append(eps, netpol.Endpoint{IP: netip.MustParseAddr(ip)})
	}
	ports := map[int32]bool{}
	for _, p := range livePorts {
		ports[p] = true
	}
	for _, w := range m.Workloads {
		for _, p := range w.Ports {
			ports[p.Port] = true
		}
	}
	out := reachability{}
	for _, s := range eps {
		for _, d := range eps {
			if s.External() && d.External() {
				continue
			}
			for p := range ports {
				for _, proto := range []string{netpol.TCP, netpol.UDP, netpol.SCTP} {
					c := netpol.Conn{Port: p, Protocol: proto}
					out[conn{endpointName(s), endpointName(d), c}] = m.Reach(s, d, c).Allowed
				}
			}
		}
	}
	return out
}

// asked says which connections a scenario asked to open.
type asked func(c conn) bool

func nothingAsked(conn) bool { return false }

// checkNothingElseOpens: every connection allowed after and denied before
// was asked for.
func checkNothingElseOpens(t *testing.T, before, after reachability, ask asked) {
	t.Helper()
	var bad []string
	for c, ok := range after {
		if ok && !before[c] && !ask(c) {
			bad = append(bad, c.String())
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		if len(bad) > 20 {
			bad = append(bad[:20], fmt.Sprintf("... and %d more", len(bad)-20))
		}
		t.Errorf("opened without being asked:\n  %s", strings.Join(bad, "\n  "))
	}
	if len(after) != len(before) || len(after) < 1000 {
		t.Errorf("questions: %d before, %d after", len(before), len(after))
	}
}

// withObjects is the model of the fixture with objects added.
func withObjects(inv *inventory.Inventory, objs []*inventory.Object) *netpol.Model {
	var b inventory.Builder
	for _, o := range inv.Objects {
		b.Add(o)
	}
	for _, o := range objs {
		b.Add(o)
	}
	return netpol.Build(b.Build())
}

func policyObjects(t *testing.T, ps []Policy) []*inventory.Object {
	t.Helper()
	var out []*inventory.Object
	for _, p := range ps {
		o, err := PolicyObject(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	return out
}

// createLive creates the policies in the API server (the real create: the
// server validates and defaults them) and returns them as it stored them.
func createLive(t *testing.T, c *testcluster.Cluster, ps []Policy) []*inventory.Object {
	t.Helper()
	ctx := context.Background()
	var out []*inventory.Object
	for _, p := range ps {
		got, err := c.Client.NetworkingV1().NetworkPolicies(p.Object.Namespace).Create(ctx, p.Object.DeepCopy(), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("the API server rejects %s: %v", p.Name(), err)
		}
		if !equality.Semantic.DeepEqual(got.Spec, p.Object.Spec) {
			t.Errorf("%s: the API server stored another spec than generated:\n got %s\nwant %s", p.Name(), got.Spec.String(), p.Object.Spec.String())
		}
		got.APIVersion, got.Kind = "networking.k8s.io/v1", "NetworkPolicy"
		got.ManagedFields = nil
		content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(got)
		if err != nil {
			t.Fatal(err)
		}
		o, err := inventory.NewObject(content, inventory.OriginCluster, finding.Source{})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	t.Cleanup(func() {
		nss := map[string]bool{}
		for _, p := range ps {
			nss[p.Object.Namespace] = true
		}
		for ns := range nss {
			err := c.Client.NetworkingV1().NetworkPolicies(ns).DeleteCollection(context.Background(), metav1.DeleteOptions{},
				metav1.ListOptions{LabelSelector: ManagedByLabel + "=" + ManagedByValue})
			if err != nil {
				t.Errorf("cleaning %s: %v", ns, err)
			}
		}
	})
	return out
}

func createNamespaces(t *testing.T, c *testcluster.Cluster, inv *inventory.Inventory) {
	t.Helper()
	for _, o := range inv.ByKind(inventory.KindNamespace) {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: o.Ref.Name, Labels: o.Labels()}}
		if _, err := c.Client.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
}

// defaultDenies are default-deny policies for namespaces, the state the
// allow generators are meant to be added to.
func defaultDenies(t *testing.T, dir Direction, nss ...string) []Policy {
	t.Helper()
	res, err := Generate(KindDefaultDeny, &Spec{DefaultDeny: &DefaultDenySpec{Namespaces: NamespaceSet{Names: nss}, Direction: dir}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res.Policies
}

func nsOf(name string) string {
	if strings.HasPrefix(name, "ip:") || name == outsideName {
		return ""
	}
	return strings.SplitN(name, "/", 2)[0]
}

func isExternal(name string) bool { return nsOf(name) == "" }

func tcpOrUDP53(c netpol.Conn) bool {
	return (c.Protocol == netpol.UDP || c.Protocol == netpol.TCP) && (c.Port == 0 || c.Port == 53)
}

func inPorts(c netpol.Conn, proto string, ports ...int32) bool {
	if c.Protocol != proto {
		return false
	}
	if c.Port == 0 {
		return true
	}
	for _, p := range ports {
		if c.Port == p {
			return true
		}
	}
	return false
}

const (
	web        = "shop/Deployment/web"
	db         = "shop/Deployment/db"
	api        = "payments/Deployment/api"
	prometheus = "monitoring/Deployment/prometheus"
	controller = "ingress-nginx/Deployment/ingress-nginx-controller"
	coredns    = "kube-system/Deployment/coredns"
	toolbox    = "dev/Pod/toolbox"
)

// TestGeneratedPoliciesLive creates every generator's policies, and the
// plan's, in a real API server, reads them back as it stored them, adds
// them to the fixture and checks with the model that they close the gap
// they were made for and open nothing they were not asked to.
func TestGeneratedPoliciesLive(t *testing.T) {
	c := testcluster.Start(t, testcluster.Options{})
	inv := loadInventory(t, fixture)
	createNamespaces(t, c, inv)
	gen := func(t *testing.T, kind Kind, spec string, withInput bool) []Policy {
		var in *inventory.Inventory
		if withInput {
			in = inv
		}
		res, err := Generate(kind, loadSpec(t, filepath.Join("testdata/generate", spec)), in)
		if err != nil {
			t.Fatal(err)
		}
		return res.Policies
	}
	scenarios := []struct {
		name   string
		base   func(t *testing.T) []Policy
		make   func(t *testing.T) []Policy
		ask    asked
		closes func(t *testing.T, before, after reachability)
	}{
		{
			name: "default-deny",
			make: func(t *testing.T) []Policy { return gen(t, KindDefaultDeny, "default-deny.yaml", true) },
			ask:  nothingAsked,
			closes: func(t *testing.T, before, after reachability) {
				isolated(t, after, "shop", "dev")
				mustAllow(t, after, conn{prometheus, api, netpol.Conn{Port: 8443, Protocol: netpol.TCP}}, false)
			},
		},
		{
			name: "allow-dns",
			base: func(t *testing.T) []Policy { return defaultDenies(t, DirectionBoth, "shop", "dev", "monitoring") },
			make: func(t *testing.T) []Policy { return gen(t, KindAllowDNS, "allow-dns.yaml", true) },
			ask: func(c conn) bool {
				return (nsOf(c.src) == "shop" || nsOf(c.src) == "dev" || nsOf(c.src) == "monitoring") && c.dst == coredns && tcpOrUDP53(c.c)
			},
			closes: func(t *testing.T, before, after reachability) {
				for _, src := range []string{web, db, toolbox, prometheus} {
					mustAllow(t, after, conn{src, coredns, netpol.Conn{Port: 53, Protocol: netpol.UDP}}, true)
					mustAllow(t, after, conn{src, coredns, netpol.Conn{Port: 53, Protocol: netpol.TCP}}, true)
					mustAllow(t, after, conn{src, "ip:8.8.8.8", netpol.Conn{Port: 53, Protocol: netpol.UDP}}, false)
				}
				isolated(t, after, "shop", "dev")
			},
		},
		{
			name: "allow-from-ingress",
			base: func(t *testing.T) []Policy { return defaultDenies(t, DirectionIngress, "shop", "payments") },
			make: func(t *testing.T) []Policy { return gen(t, KindAllowFromIngress, "allow-from-ingress.yaml", true) },
			ask: func(c conn) bool {
				return c.src == controller && ((c.dst == web && inPorts(c.c, netpol.TCP, 8080)) || (c.dst == api && inPorts(c.c, netpol.TCP, 8443)))
			},
			closes: func(t *testing.T, before, after reachability) {
				mustAllow(t, after, conn{controller, web, netpol.Conn{Port: 8080, Protocol: netpol.TCP}}, true)
				mustAllow(t, after, conn{controller, api, netpol.Conn{Port: 8443, Protocol: netpol.TCP}}, true)
				mustAllow(t, after, conn{controller, db, netpol.Conn{Port: 5432, Protocol: netpol.TCP}}, false)
				mustAllow(t, after, conn{toolbox, web, netpol.Conn{Port: 8080, Protocol: netpol.TCP}}, false)
			},
		},
		{
			name: "allow-to",
			base: func(t *testing.T) []Policy { return defaultDenies(t, DirectionBoth, "shop", "monitoring") },
			make: func(t *testing.T) []Policy { return gen(t, KindAllowTo, "allow-to.yaml", true) },
			ask: func(c conn) bool {
				return (c.src == web && c.dst == db && inPorts(c.c, netpol.TCP, 5432)) ||
					(c.src == prometheus && c.dst == web && c.c.Protocol == netpol.TCP &&
						(c.c.Port == 0 || c.c.Port == 8080 || c.c.Port >= 9000 && c.c.Port <= 9100))
			},
			closes: func(t *testing.T, before, after reachability) {
				mustAllow(t, after, conn{web, db, netpol.Conn{Port: 5432, Protocol: netpol.TCP}}, true)
				mustAllow(t, after, conn{prometheus, web, netpol.Conn{Port: 8080, Protocol: netpol.TCP}}, true)
				mustAllow(t, after, conn{prometheus, web, netpol.Conn{Port: 9100, Protocol: netpol.TCP}}, true)
				mustAllow(t, after, conn{prometheus, web, netpol.Conn{Port: 9101, Protocol: netpol.TCP}}, false)
				mustAllow(t, after, conn{db, web, netpol.Conn{Port: 8080, Protocol: netpol.TCP}}, false)
				mustAllow(t, after, conn{prometheus, db, netpol.Conn{Port: 5432, Protocol: netpol.TCP}}, false)
			},
		},
		{
			name: "egress-allowlist",
			base: func(t *testing.T) []Policy { return defaultDenies(t, DirectionEgress, "shop", "monitoring", "dev") },
			make: func(t *testing.T) []Policy { return gen(t, KindEgressAllowlist, "egress-allowlist.yaml", true) },
			ask:  egressAllowlistAsked,
			closes: func(t *testing.T, before, after reachability) {
				// Only the listed destinations: web's egress is exactly its allowlist.
				for c, ok := range after {
					if c.src == web && ok != egressAllowlistAsked(c) && !(ok && c.dst == web) {
						t.Errorf("web: %s allowed=%v, not what its allowlist says", c, ok)
					}
					if (c.src == toolbox) && ok {
						t.Errorf("dev's allowlist is empty, yet %s", c)
					}
				}
				for _, md := range []string{"ip:169.254.169.254", "ip:100.100.100.200", "ip:fd00:ec2::254"} {
					mustAllow(t, after, conn{web, md, netpol.Conn{Port: 443, Protocol: netpol.TCP}}, false)
					mustAllow(t, after, conn{prometheus, md, netpol.Conn{Port: 443, Protocol: netpol.TCP}}, false)
				}
				mustAllow(t, after, conn{prometheus, "ip:169.254.169.254", netpol.Conn{Port: 80, Protocol: netpol.TCP}}, true)
			},
		},
		{
			name: "all, labels only",
			make: func(t *testing.T) []Policy { return gen(t, KindAll, "all.yaml", false) },
			ask: func(c conn) bool {
				return (c.src == web && c.dst == api && inPorts(c.c, netpol.TCP, 8443)) ||
					(c.src == controller && c.dst == web && inPorts(c.c, netpol.TCP, 8080)) ||
					((nsOf(c.src) == "shop" || nsOf(c.src) == "payments") && c.dst == coredns && tcpOrUDP53(c.c)) ||
					(c.src == api && isExternal(c.dst) && inPorts(c.c, netpol.TCP, 443))
			},
			closes: func(t *testing.T, before, after reachability) {
				mustAllow(t, after, conn{web, api, netpol.Conn{Port: 8443, Protocol: netpol.TCP}}, true)
				mustAllow(t, after, conn{api, "ip:8.8.8.8", netpol.Conn{Port: 443, Protocol: netpol.TCP}}, true)
				mustAllow(t, after, conn{api, "ip:10.1.2.3", netpol.Conn{Port: 443, Protocol: netpol.TCP}}, false)
				mustAllow(t, after, conn{api, "ip:169.254.169.254", netpol.Conn{Port: 443, Protocol: netpol.TCP}}, false)
				mustAllow(t, after, conn{toolbox, web, netpol.Conn{Port: 8080, Protocol: netpol.TCP}}, false)
			},
		},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			var base []*inventory.Object
			if s.base != nil {
				base = policyObjects(t, s.base(t))
			}
			ps := s.make(t)
			if len(ps) == 0 {
				t.Fatal("nothing generated")
			}
			stored := createLive(t, c, ps)
			beforeM := withObjects(inv, base)
			afterM := withObjects(inv, append(append([]*inventory.Object(nil), base...), stored...))
			for _, p := range afterM.Problems {
				t.Errorf("model problem: %s", p)
			}
			before, after := reachAll(beforeM), reachAll(afterM)
			checkNothingElseOpens(t, before, after, s.ask)
			s.closes(t, before, after)
		})
	}
	t.Run("plan", func(t *testing.T) { livePlan(t, c, inv) })
}

// egressAllowlistAsked is what testdata/generate/egress-allowlist.yaml lists.
func egressAllowlistAsked(c conn) bool {
	switch c.src {
	case web:
		switch {
		case c.dst == db:
			return inPorts(c.c, netpol.TCP, 5432)
		case c.dst == coredns:
			return tcpOrUDP53(c.c)
		case isExternal(c.dst):
			a := addrOf(c.dst)
			return a.Is4() && !netip.MustParsePrefix("10.0.0.0/8").Contains(a) && a != netip.MustParseAddr("169.254.169.254") &&
				a != netip.MustParseAddr("100.100.100.200") && inPorts(c.c, netpol.TCP, 443)
		}
	case prometheus:
		switch c.dst {
		case "ip:169.254.169.254":
			return inPorts(c.c, netpol.TCP, 80)
		case "ip:2001:db8::1":
			return inPorts(c.c, netpol.TCP, 443)
		}
	}
	return false
}

// addrOf is the address of an external endpoint name.
func addrOf(name string) netip.Addr {
	if name == outsideName {
		return outsideAddr
	}
	return netip.MustParseAddr(strings.TrimPrefix(name, "ip:"))
}

func mustAllow(t *testing.T, r reachability, c conn, want bool) {
	t.Helper()
	got, asked := r[c]
	if !asked {
		t.Fatalf("%s was not asked", c)
	}
	if got != want {
		t.Errorf("%s: allowed=%v, want %v", c, got, want)
	}
}

// isolated: nothing reaches the namespaces' pods, nor leaves them, but
// DNS where allowed.
func isolated(t *testing.T, r reachability, nss ...string) {
	t.Helper()
	in := map[string]bool{}
	for _, n := range nss {
		in[n] = true
	}
	for c, ok := range r {
		if ok && (in[nsOf(c.src)] || in[nsOf(c.dst)]) && !(c.dst == coredns && tcpOrUDP53(c.c)) && c.src != c.dst {
			t.Errorf("%s is allowed into or out of an isolated namespace", c)
		}
	}
}

// livePlan creates the plan's policies for the fixture and checks: every
// namespace it isolates is isolated both ways; DNS still resolves; the
// flows it keeps pass and those it cuts do not; nothing opens that the
// input did not declare.
func livePlan(t *testing.T, c *testcluster.Cluster, inv *inventory.Inventory) {
	p, err := BuildPlan(inv, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ps []Policy
	for _, ph := range p.Phases {
		ps = append(ps, ph.Policies...)
	}
	stored := createLive(t, c, ps)
	beforeM, afterM := withObjects(inv, nil), withObjects(inv, stored)
	before, after := reachAll(beforeM), reachAll(afterM)
	declared := map[string]bool{}
	for _, ph := range p.Phases {
		for _, f := range ph.Kept {
			if f.Source == FlowDeclared {
				declared[f.From+" "+f.To] = true
			}
		}
	}
	checkNothingElseOpens(t, before, after, func(c conn) bool { return declared[c.src+" "+c.dst] })
	for _, w := range afterM.Workloads {
		if w.Namespace.Name == "kube-system" {
			continue
		}
		d := afterM.Reach(netpol.Endpoint{Workload: w}, netpol.Endpoint{IP: netip.MustParseAddr("8.8.8.8")}, netpol.Conn{Protocol: netpol.TCP})
		e := afterM.Reach(netpol.Endpoint{IP: netip.MustParseAddr("8.8.8.8")}, netpol.Endpoint{Workload: w}, netpol.Conn{Protocol: netpol.TCP})
		if !d.Egress.Isolated || !e.Ingress.Isolated {
			t.Errorf("%s is not isolated both ways after the plan", w.Name())
		}
		mustAllow(t, after, conn{ownerName(w), coredns, netpol.Conn{Port: 53, Protocol: netpol.UDP}}, true)
	}
	for _, ph := range p.Phases {
		for _, f := range ph.Kept {
			if !flowAllowed(t, after, f) {
				t.Errorf("kept flow %s is denied", f)
			}
		}
		for _, f := range ph.Cut {
			if flowAllowed(t, after, f) {
				t.Errorf("cut flow %s is allowed", f)
			}
		}
	}
}

func flowAllowed(t *testing.T, r reachability, f Flow) bool {
	t.Helper()
	dst := f.To
	if strings.HasPrefix(dst, "ip:") {
		// The reachability asks addresses, not blocks: take one inside.
		switch dst {
		case "ip:0.0.0.0/0":
			dst = "ip:8.8.8.8"
		case "ip:10.96.0.1/32":
			dst = "ip:10.96.0.1"
		default:
			t.Fatalf("no address for %s", dst)
		}
	}
	got, ok := r[conn{f.From, dst, netpol.Conn{Port: f.Port, Protocol: f.Protocol}}]
	if !ok {
		t.Fatalf("%s not asked", f)
	}
	return got
}
