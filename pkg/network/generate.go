package network

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kharden/kharden/pkg/inventory"
)

// Kind is a generator of `kharden netpol generate`.
type Kind string

// Generators, in the order their policies are listed within a namespace.
const (
	KindDefaultDeny      Kind = "default-deny"
	KindAllowDNS         Kind = "allow-dns"
	KindAllowFromIngress Kind = "allow-from-ingress"
	KindAllowTo          Kind = "allow-to"
	KindEgressAllowlist  Kind = "egress-allowlist"
	// KindAll runs every generator whose section the spec has.
	KindAll Kind = "all"
	// KindPlanAllow marks the allows `netpol plan` adds to keep flows.
	KindPlanAllow Kind = "plan-allow"
)

// Kinds lists the generators a user may ask for, KindAll last.
func Kinds() []Kind {
	return []Kind{KindDefaultDeny, KindAllowDNS, KindAllowFromIngress, KindAllowTo, KindEgressAllowlist, KindAll}
}

func (k Kind) rank() int {
	for i, x := range []Kind{KindDefaultDeny, KindAllowDNS, KindAllowFromIngress, KindAllowTo, KindPlanAllow, KindEgressAllowlist} {
		if x == k {
			return i
		}
	}
	return 99
}

// Labels and annotations kharden puts on the policies it writes.
const (
	ManagedByLabel    = "app.kubernetes.io/managed-by"
	ManagedByValue    = "kharden"
	PurposeAnnotation = "kharden.dev/purpose"
)

// namespaceNameLabel is the label the API server sets on every namespace.
const namespaceNameLabel = "kubernetes.io/metadata.name"

// MetadataEndpoints are the cloud instance-metadata addresses (AWS, GCP,
// Azure, OpenStack and others on 169.254.169.254; AWS IPv6 on
// fd00:ec2::254; Alibaba Cloud on 100.100.100.200). Generated egress never
// reaches them unless a spec lists one of them exactly.
var MetadataEndpoints = []netip.Prefix{
	netip.MustParsePrefix("169.254.169.254/32"),
	netip.MustParsePrefix("fd00:ec2::254/128"),
	netip.MustParsePrefix("100.100.100.200/32"),
}

// Policy is a generated NetworkPolicy and what it is for.
type Policy struct {
	Kind    Kind
	Purpose string
	Object  *networkingv1.NetworkPolicy
}

// Name is "NAMESPACE/NAME".
func (p Policy) Name() string { return p.Object.Namespace + "/" + p.Object.Name }

// GenerateResult is what a generator made.
type GenerateResult struct {
	Policies []Policy
	// Warnings are doubts about the input: a selector that picks more
	// workloads than the one named, a namespace the input does not have.
	Warnings []string
}

// Generate runs a generator (or every one, KindAll) on a spec. inv is the
// input workload names and namespace labels are read from; nil when none
// was given (then the spec must write labels, not names). Policies come
// sorted by namespace, generator and name.
func Generate(kind Kind, spec *Spec, inv *inventory.Inventory) (*GenerateResult, error) {
	r := newResolver(inv)
	var out []Policy
	ran := false
	run := func(k Kind, present bool, gen func() ([]Policy, error)) error {
		if kind != KindAll && kind != k {
			return nil
		}
		if !present {
			if kind == KindAll {
				return nil
			}
			return &SpecError{File: spec.File, Message: fmt.Sprintf("no %s section for %s", sectionOf(k), k)}
		}
		ran = true
		ps, err := gen()
		out = append(out, ps...)
		return err
	}
	steps := []struct {
		k       Kind
		present bool
		gen     func() ([]Policy, error)
	}{
		{KindDefaultDeny, spec.DefaultDeny != nil, func() ([]Policy, error) { return r.defaultDeny(spec.DefaultDeny) }},
		{KindAllowDNS, spec.AllowDNS != nil, func() ([]Policy, error) { return r.allowDNS(spec.AllowDNS) }},
		{KindAllowFromIngress, spec.AllowFromIngress != nil, func() ([]Policy, error) { return r.allowFromIngress(spec.AllowFromIngress) }},
		{KindAllowTo, spec.AllowTo != nil, func() ([]Policy, error) { return r.allowTo(spec.AllowTo) }},
		{KindEgressAllowlist, spec.EgressAllowlist != nil, func() ([]Policy, error) { return r.egressAllowlist(spec.EgressAllowlist) }},
	}
	valid := false
	for _, s := range steps {
		valid = valid || kind == s.k
		if err := run(s.k, s.present, s.gen); err != nil {
			return nil, err
		}
	}
	if kind != KindAll && !valid {
		return nil, fmt.Errorf("unknown generator %q (%s)", kind, kindList())
	}
	if !ran {
		return nil, &SpecError{File: spec.File, Message: "the spec has no section to generate from"}
	}
	out = r.finish(out)
	return &GenerateResult{Policies: out, Warnings: r.warnings}, nil
}

func kindList() string {
	var s []string
	for _, k := range Kinds() {
		s = append(s, string(k))
	}
	return strings.Join(s, ", ")
}

func sectionOf(k Kind) string {
	switch k {
	case KindDefaultDeny:
		return "defaultDeny"
	case KindAllowDNS:
		return "allowDNS"
	case KindAllowFromIngress:
		return "allowFromIngress"
	case KindAllowTo:
		return "allowTo"
	case KindEgressAllowlist:
		return "egressAllowlist"
	}
	return string(k)
}

func (r *resolver) defaultDeny(s *DefaultDenySpec) ([]Policy, error) {
	nss, err := r.namespaces(s.Namespaces)
	if err != nil {
		return nil, err
	}
	var out []Policy
	for _, ns := range nss {
		switch s.Direction {
		case DirectionIngress:
			out = append(out, newPolicy(KindDefaultDeny, ns, "default-deny-ingress",
				fmt.Sprintf("default deny ingress: no pod of namespace %s accepts a connection other policies do not allow", ns),
				&metav1.LabelSelector{}, true, false))
		case DirectionEgress:
			out = append(out, newPolicy(KindDefaultDeny, ns, "default-deny-egress",
				fmt.Sprintf("default deny egress: no pod of namespace %s opens a connection other policies do not allow (DNS included: add allow-dns)", ns),
				&metav1.LabelSelector{}, false, true))
		default:
			out = append(out, newPolicy(KindDefaultDeny, ns, "default-deny",
				fmt.Sprintf("default deny: pods of namespace %s accept and open only the connections other policies allow (DNS included: add allow-dns)", ns),
				&metav1.LabelSelector{}, true, true))
		}
	}
	return out, nil
}

// dnsPorts are the ports of cluster DNS.
var dnsPorts = []Port{{Protocol: "UDP", Number: 53}, {Protocol: "TCP", Number: 53}}

func (r *resolver) allowDNS(s *AllowDNSSpec) ([]Policy, error) {
	dns, err := r.app(s.DNS)
	if err != nil {
		return nil, err
	}
	nss, err := r.namespaces(s.Namespaces)
	if err != nil {
		return nil, err
	}
	var out []Policy
	for _, ns := range nss {
		out = append(out, allowDNSPolicy(ns, dns))
	}
	return out, nil
}

func allowDNSPolicy(ns string, dns target) Policy {
	p := newPolicy(KindAllowDNS, ns, "allow-dns",
		fmt.Sprintf("allow DNS: every pod of namespace %s may query %s on 53/UDP and 53/TCP", ns, dns.Desc),
		&metav1.LabelSelector{}, false, true)
	p.Object.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{appPeer(dns)}, Ports: policyPorts(dnsPorts)}}
	return p
}

func (r *resolver) allowFromIngress(s *AllowFromIngressSpec) ([]Policy, error) {
	ctrl, err := r.app(s.Controller)
	if err != nil {
		return nil, err
	}
	var out []Policy
	for _, a := range s.Apps {
		t, err := r.app(a.App)
		if err != nil {
			return nil, err
		}
		p := newPolicy(KindAllowFromIngress, t.Namespace, policyName("allow-from-ingress", t.Name),
			fmt.Sprintf("allow from ingress: %s accept connections from the ingress controller (%s) on %s", t.Desc, ctrl.Desc, portList(a.Ports)),
			t.Selector, true, false)
		p.Object.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{appPeer(ctrl)}, Ports: policyPorts(a.Ports)}}
		out = append(out, p)
	}
	return out, nil
}

func (r *resolver) allowTo(specs []AllowToSpec) ([]Policy, error) {
	var out []Policy
	for _, a := range specs {
		from, err := r.app(a.From)
		if err != nil {
			return nil, err
		}
		to, err := r.app(a.To)
		if err != nil {
			return nil, err
		}
		ports := portList(a.Ports)
		if a.Sides != SidesIngress {
			out = append(out, egressTo(KindAllowTo, from, []egressPeer{{peers: []networkingv1.NetworkPolicyPeer{appPeer(to)}, ports: a.Ports}},
				policyName("allow", from.Name, "to", qualified(to, from.Namespace)),
				fmt.Sprintf("allow to (source side): %s may connect to %s on %s", from.Desc, to.Desc, ports)))
		}
		if a.Sides != SidesEgress {
			out = append(out, ingressFrom(KindAllowTo, to, []ingressPeer{{peers: []networkingv1.NetworkPolicyPeer{appPeer(from)}, ports: a.Ports}},
				policyName("allow", to.Name, "from", qualified(from, to.Namespace)),
				fmt.Sprintf("allow to (destination side): %s accept connections from %s on %s", to.Desc, from.Desc, ports)))
		}
	}
	return out, nil
}

// qualified names a target in a policy name: its name, with its namespace
// when that is not the policy's.
func qualified(t target, policyNS string) string {
	if t.Namespace == policyNS {
		return t.Name
	}
	return t.Namespace + "-" + t.Name
}

type egressPeer struct {
	peers []networkingv1.NetworkPolicyPeer
	ports []Port
}

type ingressPeer struct {
	peers []networkingv1.NetworkPolicyPeer
	ports []Port
}

// egressTo is an egress policy for src's pods with one rule per peer.
func egressTo(kind Kind, src target, peers []egressPeer, name, purpose string) Policy {
	p := newPolicy(kind, src.Namespace, name, purpose, src.Selector, false, true)
	for _, e := range peers {
		p.Object.Spec.Egress = append(p.Object.Spec.Egress, networkingv1.NetworkPolicyEgressRule{
			To: e.peers, Ports: policyPorts(e.ports)})
	}
	return p
}

// ingressFrom is an ingress policy for dst's pods with one rule per entry.
func ingressFrom(kind Kind, dst target, entries []ingressPeer, name, purpose string) Policy {
	p := newPolicy(kind, dst.Namespace, name, purpose, dst.Selector, true, false)
	for _, e := range entries {
		p.Object.Spec.Ingress = append(p.Object.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{
			From: e.peers, Ports: policyPorts(e.ports)})
	}
	return p
}

func (r *resolver) egressAllowlist(specs []EgressAllowlistSpec) ([]Policy, error) {
	var out []Policy
	for _, e := range specs {
		t, err := r.app(e.App)
		if err != nil {
			return nil, err
		}
		var peers []egressPeer
		var listed []string
		for _, a := range e.Allow {
			if a.CIDR != nil {
				block := withMetadataExcepts(*a.CIDR)
				peers = append(peers, egressPeer{peers: []networkingv1.NetworkPolicyPeer{cidrPeer(block)}, ports: a.Ports})
				listed = append(listed, describeCIDR(block)+" on "+portList(a.Ports))
				continue
			}
			to, err := r.app(*a.To)
			if err != nil {
				return nil, err
			}
			peers = append(peers, egressPeer{peers: []networkingv1.NetworkPolicyPeer{appPeer(to)}, ports: a.Ports})
			listed = append(listed, to.Desc+" on "+portList(a.Ports))
		}
		purpose := fmt.Sprintf("egress allowlist: %s may open no connection at all", t.Desc)
		if len(listed) > 0 {
			purpose = fmt.Sprintf("egress allowlist: %s may connect to %s; to nothing else unless another policy allows it (cloud metadata endpoints only when listed exactly)",
				t.Desc, strings.Join(listed, "; "))
		}
		out = append(out, egressTo(KindEgressAllowlist, t, peers, policyName("egress-allowlist", t.Name), purpose))
	}
	return out, nil
}

// withMetadataExcepts carves the metadata endpoints out of a block that
// contains them, unless the block is exactly one of them.
func withMetadataExcepts(c CIDRSpec) CIDRSpec {
	out := CIDRSpec{CIDR: c.CIDR, Except: append([]netip.Prefix(nil), c.Except...)}
	for _, md := range MetadataEndpoints {
		if c.CIDR == md || !strictlyInside(md, c.CIDR) {
			continue
		}
		covered := false
		for _, e := range out.Except {
			if e.Contains(md.Addr()) {
				covered = true
			}
		}
		if !covered {
			out.Except = append(out.Except, md)
		}
	}
	return out
}

func describeCIDR(c CIDRSpec) string {
	s := c.CIDR.String()
	if len(c.Except) > 0 {
		ex := make([]string, len(c.Except))
		for i, e := range c.Except {
			ex[i] = e.String()
		}
		s += " except " + strings.Join(ex, ", ")
	}
	return s
}

func portList(ports []Port) string {
	if len(ports) == 0 {
		return "every port"
	}
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// newPolicy is a policy selecting pods of a namespace for the directions,
// with no rule yet.
func newPolicy(kind Kind, ns, name, purpose string, sel *metav1.LabelSelector, ingress, egress bool) Policy {
	np := &networkingv1.NetworkPolicy{
		TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns,
			Labels:      map[string]string{ManagedByLabel: ManagedByValue},
			Annotations: map[string]string{PurposeAnnotation: purpose}},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: *sel.DeepCopy()},
	}
	if ingress {
		np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
	}
	if egress {
		np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
	}
	return Policy{Kind: kind, Purpose: purpose, Object: np}
}

// appPeer selects a target's pods from any namespace's policy: its
// namespace by name and its pods by selector.
func appPeer(t target) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{
		NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{namespaceNameLabel: t.Namespace}},
		PodSelector:       t.Selector.DeepCopy(),
	}
}

func cidrPeer(c CIDRSpec) networkingv1.NetworkPolicyPeer {
	b := &networkingv1.IPBlock{CIDR: c.CIDR.String()}
	for _, e := range c.Except {
		b.Except = append(b.Except, e.String())
	}
	return networkingv1.NetworkPolicyPeer{IPBlock: b}
}

func policyPorts(ports []Port) []networkingv1.NetworkPolicyPort {
	var out []networkingv1.NetworkPolicyPort
	for _, p := range ports {
		proto := corev1.Protocol(p.Protocol)
		np := networkingv1.NetworkPolicyPort{Protocol: &proto}
		if p.Name != "" {
			v := intstr.FromString(p.Name)
			np.Port = &v
		} else {
			v := intstr.FromInt32(p.Number)
			np.Port = &v
			if p.End != 0 {
				end := p.End
				np.EndPort = &end
			}
		}
		out = append(out, np)
	}
	return out
}

// finish sorts the policies, drops exact duplicates and renames clashes:
// two different policies generated under one name, or a generated name
// that an input policy not made by kharden already has (applying would
// replace it).
func (r *resolver) finish(ps []Policy) []Policy {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i].Object, ps[j].Object
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if ps[i].Kind.rank() != ps[j].Kind.rank() {
			return ps[i].Kind.rank() < ps[j].Kind.rank()
		}
		return a.Name < b.Name
	})
	taken := map[string]bool{}
	if r.m != nil {
		for _, p := range r.m.Policies {
			if p.Object != nil && p.Object.Labels()[ManagedByLabel] != ManagedByValue {
				taken[p.Namespace+"/"+p.Ref.Name] = true
			}
		}
	}
	byName := map[string]*networkingv1.NetworkPolicy{}
	made := map[string]bool{}
	out := ps[:0]
	for _, p := range ps {
		sig := p.Name() + "\x00" + p.Purpose + "\x00" + p.Object.Spec.String()
		if made[sig] {
			continue
		}
		made[sig] = true
		key := p.Name()
		if taken[key] {
			r.warn("policy %s exists in the input and was not made by kharden: the generated one is named %s-kharden", key, p.Object.Name)
			p.Object.Name = truncateName(p.Object.Name + "-kharden")
			key = p.Name()
		}
		base := p.Object.Name
		for i := 2; byName[key] != nil; i++ {
			p.Object.Name = truncateName(fmt.Sprintf("%s-%d", base, i))
			key = p.Name()
		}
		byName[key] = p.Object
		out = append(out, p)
	}
	return out
}
