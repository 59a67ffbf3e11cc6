package netpol

import (
	"net/netip"
)

// MetadataAddresses are the cloud instance metadata endpoints (AWS, GCP,
// Azure, OpenStack, ... on 169.254.169.254; AWS over IPv6 on fd00:ec2::254):
// a pod that reaches them can often read the node's cloud credentials.
var MetadataAddresses = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"),
	netip.MustParseAddr("fd00:ec2::254"),
}

// nonPublic4 are the IPv4 special-purpose blocks of RFC 6890 and its
// successors that are not reachable on the internet: this network,
// private, shared (CGNAT), loopback, link-local, IETF protocol
// assignments, documentation, the 6to4 relay anycast, benchmarking,
// multicast and reserved (with the broadcast address).
var nonPublic4 = prefixes("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
	"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
	"198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4")

// public6 is the IPv6 internet: global unicast, and the NAT64 well-known
// prefix (which reaches the IPv4 internet through a translator); minus
// nonPublic6, the documentation prefixes.
var (
	public6    = prefixes("2000::/3", "64:ff9b::/96")
	nonPublic6 = prefixes("2001:db8::/32", "3fff::/20")
)

// representativePublic are tried first so that a witness is an address a
// person recognises.
var representativePublic = []netip.Addr{
	netip.MustParseAddr("1.1.1.1"), netip.MustParseAddr("8.8.8.8"),
	netip.MustParseAddr("2606:4700:4700::1111"),
}

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// IsPublic reports whether an address is on the internet: not private,
// loopback, link-local, shared, documentation, multicast or reserved.
func IsPublic(a netip.Addr) bool {
	a = a.Unmap()
	if a.Is4() {
		return !inAny(nonPublic4, a)
	}
	return inAny(public6, a) && !inAny(nonPublic6, a)
}

func inAny(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// lastAddr is the last address of a prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	p = p.Masked()
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// publicStarts are the addresses where a run of public addresses begins
// (just after a non-public block, or at the start of a public one).
var publicStarts = func() []netip.Addr {
	var out []netip.Addr
	for _, p := range nonPublic4 {
		if n := lastAddr(p).Next(); n.IsValid() {
			out = append(out, n)
		}
	}
	for _, p := range public6 {
		out = append(out, p.Addr())
	}
	for _, p := range nonPublic6 {
		out = append(out, lastAddr(p).Next())
	}
	return out
}()

// PublicAddress returns a public address the block admits, if any. The
// answer is exact, not sampled: the set the block admits minus the
// non-public space is a union of address runs, each starting at the
// block's first address, just after an excepted CIDR or at a public start,
// so trying those points (after a few well-known addresses) is enough.
func (b *IPBlock) PublicAddress() (netip.Addr, bool) {
	return b.firstAdmitted(IsPublic, publicStarts)
}

// SomeAddress returns an address the block admits (a block whose except
// list covers its CIDR admits none).
func (b *IPBlock) SomeAddress() (netip.Addr, bool) {
	return b.firstAdmitted(func(netip.Addr) bool { return true }, nil)
}

// firstAdmitted tries the representative addresses, the block's first
// address, the address after each except and the given starts.
func (b *IPBlock) firstAdmitted(want func(netip.Addr) bool, starts []netip.Addr) (netip.Addr, bool) {
	try := func(a netip.Addr) bool { return a.IsValid() && b.Contains(a) && want(a) }
	for _, a := range representativePublic {
		if try(a) {
			return a, true
		}
	}
	if a := b.CIDR.Masked().Addr(); try(a) {
		return a, true
	}
	for _, e := range b.Except {
		if a := lastAddr(e).Next(); try(a) {
			return a, true
		}
	}
	for _, a := range starts {
		if try(a) {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// BoundaryAddresses lists, for a test or an audit, every address at which
// what the model's ipBlocks admit can change: the first address of each
// CIDR and of each except, the address after each, the public starts and
// the metadata endpoints. Any question about "some address of a kind" is
// decided by these points.
func (m *Model) BoundaryAddresses() []netip.Addr {
	seen := map[netip.Addr]bool{}
	var out []netip.Addr
	add := func(a netip.Addr) {
		if a.IsValid() && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, a := range representativePublic {
		add(a)
	}
	for _, a := range publicStarts {
		add(a)
	}
	for _, a := range MetadataAddresses {
		add(a)
	}
	for _, p := range m.Policies {
		for _, rules := range [][]Rule{p.IngressRules, p.EgressRules} {
			for i := range rules {
				for j := range rules[i].Peers {
					blk := rules[i].Peers[j].IPBlock
					if blk == nil {
						continue
					}
					add(blk.CIDR.Masked().Addr())
					add(lastAddr(blk.CIDR).Next())
					for _, e := range blk.Except {
						add(e.Addr())
						add(lastAddr(e).Next())
					}
				}
			}
		}
	}
	return out
}

// external fills the exposures of one class: each is what Reach answers
// for some address of the kind, on some port of some protocol.
func (z *summarizer) external(cs *ClassSummary) {
	c := cs.Class
	cs.Internet = exposure(cs.EgressIsolated, z.egress[c.ID], nil, func(b *IPBlock) (netip.Addr, bool) { return b.PublicAddress() })
	cs.Metadata = make([]Exposure, len(MetadataAddresses))
	for i, a := range MetadataAddresses {
		cs.Metadata[i] = exposure(cs.EgressIsolated, z.egress[c.ID], nil, func(b *IPBlock) (netip.Addr, bool) { return a, b.Contains(a) })
		if cs.Metadata[i].Allowed {
			cs.Metadata[i].Address = a
		}
	}
	cs.FromOutside = exposure(cs.IngressIsolated, z.ingress[c.ID], c.Ports, func(b *IPBlock) (netip.Addr, bool) { return b.SomeAddress() })
	cs.FromInternet = exposure(cs.IngressIsolated, z.ingress[c.ID], c.Ports, func(b *IPBlock) (netip.Addr, bool) { return b.PublicAddress() })
}

// exposure judges one direction toward addresses outside the cluster:
// open when not isolated, else through each rule with some port for the
// outside end (ports are the pod's own for ingress; an address outside
// declares no named port for egress) and a peer admitting an address of
// the kind (admit).
func exposure(isolated bool, rules []*ruleInfo, ports []ContainerPort, admit func(*IPBlock) (netip.Addr, bool)) Exposure {
	if !isolated {
		return Exposure{Allowed: true, Open: true, Address: anyAddress(admit)}
	}
	var e Exposure
	for _, ri := range rules {
		if !someProtocolPort(ri.rule, ports) {
			continue
		}
		a, ok := ruleAdmits(ri.rule, admit)
		if !ok {
			continue
		}
		if !e.Allowed {
			e.Allowed, e.Address = true, a
		}
		e.Rules = append(e.Rules, ri.ref)
	}
	return e
}

// everyAddress stands for a rule without peers, which admits any address.
var everyAddress = &IPBlock{CIDR: netip.MustParsePrefix("0.0.0.0/0")}
var everyAddress6 = &IPBlock{CIDR: netip.MustParsePrefix("::/0")}

func anyAddress(admit func(*IPBlock) (netip.Addr, bool)) netip.Addr {
	a, ok := ruleAdmits(&Rule{}, admit)
	if !ok {
		return netip.Addr{}
	}
	return a
}

// ruleAdmits returns an address of the kind the rule's peers admit.
func ruleAdmits(r *Rule, admit func(*IPBlock) (netip.Addr, bool)) (netip.Addr, bool) {
	if r.Peers == nil {
		for _, b := range []*IPBlock{everyAddress, everyAddress6} {
			if a, ok := admit(b); ok {
				return a, true
			}
		}
		return netip.Addr{}, false
	}
	for j := range r.Peers {
		if b := r.Peers[j].IPBlock; b != nil {
			if a, ok := admit(b); ok {
				return a, true
			}
		}
	}
	return netip.Addr{}, false
}

// someProtocolPort reports whether a rule admits some port of some
// protocol on a pod declaring ports (nil: an address outside).
func someProtocolPort(r *Rule, ports []ContainerPort) bool {
	for _, proto := range Protocols {
		if ruleSomePortOf(r, proto, ports) {
			return true
		}
	}
	return false
}
