package netpol

import (
	"net/netip"
	"runtime"
	"sync"

	"github.com/kharden/kharden/pkg/inventory"
)

// Protocols lists the protocols NetworkPolicy knows, in the order summaries
// index them.
var Protocols = [...]string{TCP, UDP, SCTP}

// protocolIndex is the index of a protocol in Protocols, -1 if unknown.
func protocolIndex(proto string) int {
	for i, p := range Protocols {
		if p == proto {
			return i
		}
	}
	return -1
}

// Summary is who reaches whom across a whole model, class by class: the
// question it answers for a pair of classes and a protocol is exactly
// m.Reach(src, dst, Conn{Port: 0, Protocol: p}).Allowed for any workloads
// of the two classes — some port of the protocol passes both the source's
// egress and the destination's ingress (named ports read on the
// destination). "Some port" rather than the destination's declared ports,
// because containerPort is informative: a pod listens wherever it likes.
//
// It is computed on bitsets over classes: each rule's peers once, each
// class's reach as the union of its rules, and the exact port check only
// for pairs where both sides restrict ports.
type Summary struct {
	Model   *Model
	Classes []ClassSummary // indexed by Class.ID
	// reach[p][src] are the classes src reaches on some port of
	// Protocols[p]; every[p][src] those it reaches on every port of it.
	reach [len(Protocols)][]Bitset
	every [len(Protocols)][]Bitset
	// out[src] and in[dst] are reach on any protocol, and its transpose.
	out, in []Bitset
}

// ClassSummary is what holds for every pod of one class.
type ClassSummary struct {
	Class *Class
	// IngressIsolated and EgressIsolated: some policy selects the class
	// for the direction (Ingress and Egress are those policies).
	IngressIsolated, EgressIsolated bool
	Ingress, Egress                 []*Policy
	// Internet: egress to some public address; Metadata: egress to each of
	// MetadataAddresses (same order); FromOutside: ingress from some
	// address outside the cluster; FromInternet: from a public one.
	Internet     Exposure
	Metadata     []Exposure
	FromOutside  Exposure
	FromInternet Exposure
}

// Exposure is whether a class talks with some address outside the
// cluster, one such address, and why.
type Exposure struct {
	Allowed bool
	// Address is an address allowed (when Allowed).
	Address netip.Addr
	// Open: no policy isolates the direction, so every address is allowed.
	Open bool
	// Rules are the rules admitting an address of the kind (when isolated).
	Rules []RuleRef
}

// Reaches reports whether src reaches dst on some port of proto.
func (s *Summary) Reaches(src, dst *Class, proto string) bool {
	p := protocolIndex(proto)
	return p >= 0 && s.reach[p][src.ID].Has(dst.ID)
}

// ReachesEvery reports whether src reaches dst on every port of proto
// through a rule on each side that admits every port (ranges that only add
// up to every port are not recognised: the answer errs toward "some").
func (s *Summary) ReachesEvery(src, dst *Class, proto string) bool {
	p := protocolIndex(proto)
	return p >= 0 && s.every[p][src.ID].Has(dst.ID)
}

// ReachesAny reports whether src reaches dst on some port of some protocol.
func (s *Summary) ReachesAny(src, dst *Class) bool { return s.out[src.ID].Has(dst.ID) }

// Out is the set of classes a class reaches on some port of some protocol
// (do not modify it).
func (s *Summary) Out(c *Class) Bitset { return s.out[c.ID] }

// In is the set of classes reaching a class on some port of some protocol
// (do not modify it).
func (s *Summary) In(c *Class) Bitset { return s.in[c.ID] }

type summaryKey struct{}

// SummaryFor returns the summary of an inventory's model, computed once and
// shared.
func SummaryFor(inv *inventory.Inventory) *Summary {
	return inv.Memo(summaryKey{}, func() any { return Summarize(For(inv)) }).(*Summary)
}

// ruleInfo is one rule of a policy for one direction with its peer classes
// computed once.
type ruleInfo struct {
	ref   RuleRef
	rule  *Rule
	peers Bitset
}

// summarizer holds what the passes share.
type summarizer struct {
	m       *Model
	n       int
	x       *classIndex
	egress  [][]*ruleInfo // rules of the policies selecting a class for egress
	ingress [][]*ruleInfo
	s       *Summary
}

// Summarize computes the summary of a model.
func Summarize(m *Model) *Summary {
	n := len(m.Classes)
	z := &summarizer{m: m, n: n, x: newClassIndex(m), egress: make([][]*ruleInfo, n), ingress: make([][]*ruleInfo, n)}
	s := &Summary{Model: m, Classes: make([]ClassSummary, n)}
	z.s = s
	for i, c := range m.Classes {
		s.Classes[i].Class = c
	}
	z.selectClasses()

	var wg sync.WaitGroup
	for p := range Protocols {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.reach[p], s.every[p] = z.protocol(Protocols[p])
		}()
	}
	wg.Wait()

	s.out = make([]Bitset, n)
	s.in = make([]Bitset, n)
	for i := range n {
		s.out[i] = NewBitset(n)
		s.in[i] = NewBitset(n)
	}
	for i := range n {
		for p := range Protocols {
			s.out[i].Or(s.reach[p][i])
		}
		s.out[i].Each(func(d int) { s.in[d].Set(i) })
	}
	for i := range s.Classes {
		z.external(&s.Classes[i])
	}
	return s
}

// selectClasses finds the policies selecting each class and reads every
// rule's peers once.
func (z *summarizer) selectClasses() {
	s := z.s
	for _, p := range z.m.Policies {
		classes := z.x.byNS[p.Namespace]
		if classes == nil || (!p.Ingress && !p.Egress) {
			continue
		}
		var sel Bitset
		if p.PodSelector.Empty() {
			sel = classes
		} else {
			sel = z.x.pods(p.PodSelector).Clone()
			sel.And(classes)
		}
		if sel.Empty() {
			continue
		}
		var ing, eg []*ruleInfo
		if p.Ingress {
			ing = z.rules(p, p.IngressRules)
		}
		if p.Egress {
			eg = z.rules(p, p.EgressRules)
		}
		sel.Each(func(c int) {
			cs := &s.Classes[c]
			if p.Ingress {
				cs.IngressIsolated = true
				cs.Ingress = append(cs.Ingress, p)
				z.ingress[c] = append(z.ingress[c], ing...)
			}
			if p.Egress {
				cs.EgressIsolated = true
				cs.Egress = append(cs.Egress, p)
				z.egress[c] = append(z.egress[c], eg...)
			}
		})
	}
}

func (z *summarizer) rules(p *Policy, rules []Rule) []*ruleInfo {
	out := make([]*ruleInfo, len(rules))
	for i := range rules {
		r := &rules[i]
		ri := &ruleInfo{ref: RuleRef{Policy: p, Rule: i}, rule: r}
		if r.Peers == nil {
			ri.peers = z.x.all
		} else {
			ri.peers = NewBitset(z.n)
			for j := range r.Peers {
				ri.peers.Or(z.x.peerClasses(&r.Peers[j], p.Namespace))
			}
		}
		out[i] = ri
	}
	return out
}

// protocol computes, for one protocol, the classes each class reaches on
// some port and on every port.
func (z *summarizer) protocol(proto string) (reach, every []Bitset) {
	n, x := z.n, z.x
	// named[name]: classes declaring a port of that name for proto.
	named := map[string]Bitset{}
	for _, c := range z.m.Classes {
		for _, cp := range c.Ports {
			if cp.Name != "" && cp.Protocol == proto {
				b := named[cp.Name]
				if b == nil {
					b = NewBitset(n)
					named[cp.Name] = b
				}
				b.Set(c.ID)
			}
		}
	}
	// Egress: per rule, the destinations it admits on some port (named
	// ports need the destination to declare them).
	egressSome := map[*ruleInfo]Bitset{}
	for c := range n {
		for _, ri := range z.egress[c] {
			if _, done := egressSome[ri]; done {
				continue
			}
			if ruleSomeNumericPort(ri.rule, proto) {
				egressSome[ri] = ri.peers
				continue
			}
			dst := NewBitset(n)
			for _, pr := range ri.rule.Ports {
				if pr.Protocol == proto && pr.Named != "" && named[pr.Named] != nil {
					dst.Or(named[pr.Named])
				}
			}
			dst.And(ri.peers)
			egressSome[ri] = dst
		}
	}

	// Ingress, transposed: inSome[src] are the classes whose ingress
	// admits src on some port, inEvery[src] on every port.
	inSome, inEvery := make([]Bitset, n), make([]Bitset, n)
	open := NewBitset(n)
	for i := range n {
		inSome[i], inEvery[i] = NewBitset(n), NewBitset(n)
	}
	for d := range n {
		if !z.s.Classes[d].IngressIsolated {
			open.Set(d)
			continue
		}
		some, all := NewBitset(n), NewBitset(n)
		for _, ri := range z.ingress[d] {
			if ruleAllPorts(ri.rule, proto) {
				all.Or(ri.peers)
				some.Or(ri.peers)
			} else if ruleSomePortOf(ri.rule, proto, x.classes[d].Ports) {
				some.Or(ri.peers)
			}
		}
		some.Each(func(src int) { inSome[src].Set(d) })
		all.Each(func(src int) { inEvery[src].Set(d) })
	}

	reach, every = make([]Bitset, n), make([]Bitset, n)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ports []PortRange
			for src := w; src < n; src += workers {
				egSome, egEvery := x.all, x.all
				if z.s.Classes[src].EgressIsolated {
					egSome, egEvery = NewBitset(n), NewBitset(n)
					for _, ri := range z.egress[src] {
						egSome.Or(egressSome[ri])
						if ruleAllPorts(ri.rule, proto) {
							egEvery.Or(ri.peers)
						}
					}
				}
				in := inSome[src]
				in.Or(open)
				inAll := inEvery[src]
				inAll.Or(open)
				r := egSome.Clone()
				r.And(in)
				e := egEvery.Clone()
				e.And(inAll)
				// Pairs where one side admits every port pass on whatever
				// port the other admits; the rest need the ports compared.
				sure := egEvery.Clone()
				sure.Or(inAll)
				unsure := r.Clone()
				unsure.AndNot(sure)
				unsure.Each(func(dst int) {
					var eg, ing []PortRange
					eg, ports = z.sidePorts(ports[:0], z.egress[src], dst, dst, proto)
					ing, ports = z.sidePorts(ports, z.ingress[dst], src, dst, proto)
					if !overlap(eg, ing) {
						r[dst>>6] &^= 1 << (uint(dst) & 63)
					}
				})
				reach[src], every[src] = r, e
				inSome[src], inEvery[src] = nil, nil
			}
		}()
	}
	wg.Wait()
	return reach, every
}

// sidePorts appends to buf the ports the rules whose peers include peer
// admit toward dst, and returns them (as a sub-slice) with the grown buf.
func (z *summarizer) sidePorts(buf []PortRange, rules []*ruleInfo, peer, dst int, proto string) ([]PortRange, []PortRange) {
	start := len(buf)
	for _, ri := range rules {
		if ri.peers.Has(peer) {
			buf = rulePorts(buf, ri.rule, proto, z.x.classes[dst].Ports)
		}
	}
	return buf[start:], buf
}

// ruleSomePortOf reports whether a rule admits some port of proto on a pod
// declaring ports (its own, for ingress).
func ruleSomePortOf(r *Rule, proto string, ports []ContainerPort) bool {
	if ruleSomeNumericPort(r, proto) {
		return true
	}
	for _, pr := range r.Ports {
		if pr.Protocol != proto || pr.Named == "" {
			continue
		}
		for _, cp := range ports {
			if cp.Name == pr.Named && cp.Protocol == proto {
				return true
			}
		}
	}
	return false
}
