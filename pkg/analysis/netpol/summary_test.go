package netpol_test

import (
	"net/netip"
	"sort"
	"testing"

	"github.com/kharden/kharden/pkg/analysis/netpol"
	"github.com/kharden/kharden/pkg/analysis/netpol/netgen"
)

// TestSummaryAgreesWithReach holds the summary to Reach on every class
// pair and protocol of random clusters, and its external exposures to
// Reach on every address where an answer can change.
func TestSummaryAgreesWithReach(t *testing.T) {
	seeds := 60
	if testing.Short() {
		seeds = 10
	}
	pairs, allowed := 0, 0
	for seed := range uint64(2 * seeds) {
		// Even seeds: this file's corner-case clusters; odd: netgen's.
		inv := randomCluster(seed, 4, 30, 12)
		if seed%2 == 1 {
			var err error
			if inv, err = netgen.Inventory(netgen.Generate(int64(seed), netgen.Size{Namespaces: 4, Pods: 40, Policies: 16})); err != nil {
				t.Fatal(err)
			}
		}
		m := netpol.Build(inv)
		s := netpol.Summarize(m)
		for _, src := range m.Classes {
			for _, dst := range m.Classes {
				any := false
				for _, proto := range netpol.Protocols {
					d := m.Reach(endpoint(src), endpoint(dst), netpol.Conn{Protocol: proto})
					pairs++
					if d.Allowed {
						allowed++
						any = true
					}
					if got := s.Reaches(src, dst, proto); got != d.Allowed {
						t.Fatalf("seed %d: %s -> %s some %s: summary %v, Reach %v (%+v)", seed, name(src), name(dst), proto, got, d.Allowed, d)
					}
					if s.ReachesEvery(src, dst, proto) {
						for _, port := range []int32{1, 80, 65535} {
							if !m.Reach(endpoint(src), endpoint(dst), netpol.Conn{Port: port, Protocol: proto}).Allowed {
								t.Fatalf("seed %d: %s -> %s: every %s port per the summary, but not %d", seed, name(src), name(dst), proto, port)
							}
						}
					}
				}
				if s.ReachesAny(src, dst) != any || s.Out(src).Has(dst.ID) != any || s.In(dst).Has(src.ID) != any {
					t.Fatalf("seed %d: %s -> %s: any protocol disagrees", seed, name(src), name(dst))
				}
			}
			checkExposures(t, seed, m, s.Classes[src.ID])
		}
	}
	if allowed == 0 || allowed == pairs {
		t.Fatalf("degenerate random clusters: %d of %d pairs allowed", allowed, pairs)
	}
	t.Logf("%d pair-protocols, %d allowed", pairs, allowed)
}

// TestSomePortIsSomeCommonPort: Reach with Port 0 is allowed exactly when
// one port passes both sides. The ports where the allowed sets can start
// (every rule's port, every declared port, 1) decide it.
func TestSomePortIsSomeCommonPort(t *testing.T) {
	noCommon := 0
	for seed := range uint64(25) {
		m := netpol.Build(randomCluster(seed+1000, 3, 20, 12))
		ports := criticalPorts(m)
		for _, src := range m.Classes {
			for _, dst := range m.Classes {
				for _, proto := range netpol.Protocols {
					d := m.Reach(endpoint(src), endpoint(dst), netpol.Conn{Protocol: proto})
					if d.NoCommonPort {
						noCommon++
					}
					some := false
					for _, p := range ports {
						if m.Reach(endpoint(src), endpoint(dst), netpol.Conn{Port: p, Protocol: proto}).Allowed {
							some = true
							break
						}
					}
					if some != d.Allowed {
						t.Fatalf("seed %d: %s -> %s %s: port 0 says %v, concrete ports %v", seed, name(src), name(dst), proto, d.Allowed, some)
					}
				}
			}
		}
	}
	if noCommon == 0 {
		t.Fatal("no case of sides without a common port: the random clusters miss the point")
	}
}

func criticalPorts(m *netpol.Model) []int32 {
	set := map[int32]bool{1: true}
	for _, p := range m.Policies {
		for _, rules := range [][]netpol.Rule{p.IngressRules, p.EgressRules} {
			for _, r := range rules {
				for _, pr := range r.Ports {
					if pr.Port != nil {
						set[*pr.Port] = true
					}
				}
			}
		}
	}
	for _, c := range m.Classes {
		for _, cp := range c.Ports {
			set[cp.Port] = true
		}
	}
	out := make([]int32, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// checkExposures compares each exposure with Reach at every boundary
// address of the model: the witness must be allowed, and when the summary
// says no address of the kind is, none of the boundary addresses may be.
func checkExposures(t *testing.T, seed uint64, m *netpol.Model, cs netpol.ClassSummary) {
	t.Helper()
	w := endpoint(cs.Class)
	addrs := m.BoundaryAddresses()
	reachOut := func(a netip.Addr) bool {
		for _, proto := range netpol.Protocols {
			if m.Reach(w, netpol.Endpoint{IP: a}, netpol.Conn{Protocol: proto}).Allowed {
				return true
			}
		}
		return false
	}
	reachIn := func(a netip.Addr) bool {
		for _, proto := range netpol.Protocols {
			if m.Reach(netpol.Endpoint{IP: a}, w, netpol.Conn{Protocol: proto}).Allowed {
				return true
			}
		}
		return false
	}
	check := func(what string, e netpol.Exposure, reach func(netip.Addr) bool, kind func(netip.Addr) bool) {
		if e.Allowed {
			if !e.Address.IsValid() || !kind(e.Address) || !reach(e.Address) {
				t.Fatalf("seed %d: %s %s: witness %v is not allowed by Reach", seed, name(cs.Class), what, e.Address)
			}
			if !e.Open && len(e.Rules) == 0 {
				t.Fatalf("seed %d: %s %s: allowed without rules", seed, name(cs.Class), what)
			}
			return
		}
		for _, a := range addrs {
			if kind(a) && reach(a) {
				t.Fatalf("seed %d: %s %s: summary says none, Reach allows %v", seed, name(cs.Class), what, a)
			}
		}
	}
	all := func(netip.Addr) bool { return true }
	check("egress to the internet", cs.Internet, reachOut, netpol.IsPublic)
	for i, a := range netpol.MetadataAddresses {
		check("egress to "+a.String(), cs.Metadata[i], reachOut, func(x netip.Addr) bool { return x == a })
	}
	check("ingress from outside", cs.FromOutside, reachIn, all)
	check("ingress from the internet", cs.FromInternet, reachIn, netpol.IsPublic)
}

func endpoint(c *netpol.Class) netpol.Endpoint { return netpol.Endpoint{Workload: c.Workloads[0]} }

func name(c *netpol.Class) string { return c.Workloads[0].Name() }

// TestPublicAddressExact enumerates small blocks around the edges of the
// non-public space and checks PublicAddress and SomeAddress against every
// address of the block.
func TestPublicAddressExact(t *testing.T) {
	cases := []netpol.IPBlock{
		block("10.255.255.0/24"), block("11.0.0.0/24"), block("10.255.255.128/25"),
		block("172.31.255.0/24"), block("172.32.0.0/24", "172.32.0.0/24"),
		block("100.127.255.0/24"), block("100.128.0.0/24", "100.128.0.0/25", "100.128.0.128/26"),
		block("100.128.0.0/24", "100.128.0.0/25", "100.128.0.128/26", "100.128.0.192/26"),
		block("169.254.169.0/24", "169.254.169.254/32"), block("223.255.255.0/24"),
		block("192.0.2.0/23"), block("198.51.100.0/22", "198.51.100.0/24", "198.51.101.0/24"),
		block("2001:db8:ffff:ffff:ffff:ffff:ffff:ff00/120"), block("2001:db9::/120"),
		block("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120"), block("fd00:ec2::/120", "fd00:ec2::254/128"),
		block("64:ff9b::/120", "64:ff9b::/121"),
	}
	for _, b := range cases {
		wantPublic, wantAny := false, false
		for a := b.CIDR.Masked().Addr(); b.CIDR.Contains(a); a = a.Next() {
			if b.Contains(a) {
				wantAny = true
				wantPublic = wantPublic || netpol.IsPublic(a)
			}
		}
		if a, ok := b.PublicAddress(); ok != wantPublic || (ok && (!b.Contains(a) || !netpol.IsPublic(a))) {
			t.Errorf("%v: PublicAddress = %v, %v; want found=%v", b, a, ok, wantPublic)
		}
		if a, ok := b.SomeAddress(); ok != wantAny || (ok && !b.Contains(a)) {
			t.Errorf("%v: SomeAddress = %v, %v; want found=%v", b, a, ok, wantAny)
		}
	}
	for _, c := range []struct {
		addr   string
		public bool
	}{{"1.1.1.1", true}, {"10.1.2.3", false}, {"169.254.169.254", false}, {"100.64.0.1", false}, {"255.255.255.255", false},
		{"2606:4700::1", true}, {"fd00:ec2::254", false}, {"fe80::1", false}, {"::1", false}, {"2001:db8::1", false},
		{"64:ff9b::808:808", true}, {"::ffff:8.8.8.8", true}} {
		if got := netpol.IsPublic(netip.MustParseAddr(c.addr)); got != c.public {
			t.Errorf("IsPublic(%s) = %v", c.addr, got)
		}
	}
}

func block(cidr string, except ...string) netpol.IPBlock {
	b := netpol.IPBlock{CIDR: netip.MustParsePrefix(cidr)}
	for _, e := range except {
		b.Except = append(b.Except, netip.MustParsePrefix(e))
	}
	return b
}

// TestSummarySmoke pins the summary of the hand-written smoke cluster.
func TestSummarySmoke(t *testing.T) {
	m := model(t, "testdata/smoke.yaml")
	s := netpol.Summarize(m)
	class := func(spec string) *netpol.Class { return one(t, m, spec).Workload.Class }
	web, db, prom := class("shop/web"), class("shop/db"), class("monitoring/prometheus")
	if !s.Reaches(web, db, netpol.TCP) || s.Reaches(web, db, netpol.UDP) || s.Reaches(db, web, netpol.TCP) {
		t.Error("shop reach")
	}
	if !s.Reaches(prom, db, netpol.TCP) || !s.ReachesEvery(prom, db, netpol.TCP) || s.ReachesEvery(web, db, netpol.TCP) {
		t.Error("prometheus reaches every port of db; web only 5432")
	}
	ws, ds, ps := s.Classes[web.ID], s.Classes[db.ID], s.Classes[prom.ID]
	if !ws.Internet.Allowed || ws.Internet.Open || len(ws.Internet.Rules) != 1 || ws.Internet.Rules[0].Policy.Ref.Name != "web-egress" {
		t.Errorf("web internet %+v", ws.Internet)
	}
	if ws.Metadata[0].Allowed || ds.Internet.Allowed || ds.Metadata[0].Allowed {
		t.Errorf("metadata or db egress allowed: %+v %+v", ws.Metadata[0], ds.Internet)
	}
	if !ps.Internet.Open || !ps.Metadata[0].Allowed || !ps.FromOutside.Open || ps.IngressIsolated || ps.EgressIsolated {
		t.Errorf("prometheus is open: %+v", ps)
	}
	if ds.FromOutside.Allowed || !ds.IngressIsolated || len(ds.Ingress) != 2 {
		t.Errorf("db ingress %+v", ds)
	}
}
