package netpol

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kharden/kharden/pkg/finding"

	"github.com/kharden/kharden/pkg/inventory"
)

// namespaceNameLabel is set on every namespace by the API server.
const namespaceNameLabel = "kubernetes.io/metadata.name"

// Build reads namespaces, pods (or, from files, the workloads that make
// them) and NetworkPolicies from the inventory. Malformed policies are kept
// as far as they can be read and reported as problems.
func Build(inv *inventory.Inventory) *Model {
	m := &Model{Namespaces: map[string]*Namespace{}, byNamespace: map[string][]*Policy{}}
	for _, o := range inv.ByKind(inventory.KindNamespace) {
		ns := m.namespace(o.Ref.Name)
		ns.Object = o
		for k, v := range o.Labels() {
			ns.Labels[k] = v
		}
		ns.Labels[namespaceNameLabel] = o.Ref.Name
	}
	m.readWorkloads(inv)
	for _, o := range inv.ByKind(inventory.KindNetworkPolicy) {
		if p := m.readPolicy(o); p != nil {
			m.Policies = append(m.Policies, p)
			m.byNamespace[p.Namespace] = append(m.byNamespace[p.Namespace], p)
			// default and kube-* exist in every cluster, listed or not.
			if ns := m.namespace(p.Namespace); ns.Object == nil && len(inv.ByKind(inventory.KindNamespace)) > 0 &&
				p.Namespace != "default" && !strings.HasPrefix(p.Namespace, "kube-") {
				m.problem(o, "namespace %q is not among the input's namespaces: the policy applies only once it exists", p.Namespace)
				m.Problems[len(m.Problems)-1].Warning = true
			}
		}
	}
	m.group()
	return m
}

func (m *Model) namespace(name string) *Namespace {
	ns := m.Namespaces[name]
	if ns == nil {
		ns = &Namespace{Name: name, Labels: labels.Set{namespaceNameLabel: name}}
		m.Namespaces[name] = ns
	}
	return ns
}

func (m *Model) problem(o *inventory.Object, format string, args ...any) {
	m.Problems = append(m.Problems, Problem{Object: o.Ref, Source: o.Source, Message: fmt.Sprintf(format, args...)})
}

// readWorkloads takes the running pods of a live cluster, or, from files,
// every object that makes pods (bare Pods and controllers not themselves
// controlled by another object of the input).
func (m *Model) readWorkloads(inv *inventory.Inventory) {
	var livePods []*inventory.Object
	for _, o := range inv.ByKind(inventory.KindPod) {
		if o.Origin == inventory.OriginCluster {
			livePods = append(livePods, o)
		}
	}
	// Running pods stand for their workload; a workload with no running
	// pod (a CronJob between runs, a Deployment scaled to zero, or any
	// workload read from files) stands for the pods it will make.
	var sources []*inventory.Object
	running := map[finding.ObjectRef]bool{}
	for _, o := range livePods {
		phase, _ := inventory.MapAt(o.Content, "status")["phase"].(string)
		if phase == "Succeeded" || phase == "Failed" {
			continue
		}
		sources = append(sources, o)
		owner := topOwner(inv, o)
		owner.APIVersion = ""
		running[owner] = true
	}
	for _, gk := range inventory.WorkloadKinds() {
		if gk == inventory.KindPodTemplate {
			continue
		}
		for _, o := range inv.ByKind(gk) {
			if gk == inventory.KindPod && o.Origin == inventory.OriginCluster {
				continue // already counted, or finished
			}
			ref := o.Ref
			ref.APIVersion = ""
			if !controlledWithin(inv, o) && !running[ref] {
				sources = append(sources, o)
			}
		}
	}
	for _, o := range sources {
		t, ok := o.PodTemplateOf()
		if !ok {
			continue
		}
		ns := o.Ref.Namespace
		if ns == "" {
			ns = "default"
		}
		w := &Workload{Ref: o.Ref, Object: o, Namespace: m.namespace(ns), Labels: labels.Set(inventory.StringMap(inventory.MapAt(t.Meta, "labels")))}
		if o.GK == inventory.KindPod {
			w.Labels = labels.Set(o.Labels())
		}
		if w.Labels == nil {
			w.Labels = labels.Set{}
		}
		w.Ref.Namespace = ns
		w.Owner = topOwner(inv, o)
		w.Owner.Namespace = ns
		w.HostNetwork, _ = t.Spec["hostNetwork"].(bool)
		w.Ports = containerPorts(t.Spec)
		m.Workloads = append(m.Workloads, w)
	}
	sort.SliceStable(m.Workloads, func(i, j int) bool { return m.Workloads[i].Name() < m.Workloads[j].Name() })
}

// topOwner follows controller references up through the inventory (Pod ->
// ReplicaSet -> Deployment) to the workload a person names.
func topOwner(inv *inventory.Inventory, o *inventory.Object) finding.ObjectRef {
	cur := o
	for depth := 0; depth < 4; depth++ {
		kind, name, ok := controllerOf(cur)
		if !ok {
			break
		}
		var next *inventory.Object
		for _, c := range inv.InNamespace(cur.Ref.Namespace) {
			if c.Ref.Kind == kind && c.Ref.Name == name {
				next = c
				break
			}
		}
		if next == nil {
			// The owner is not listed: name it anyway.
			return finding.ObjectRef{Kind: kind, Namespace: cur.Ref.Namespace, Name: name}
		}
		cur = next
	}
	return cur.Ref
}

func controllerOf(o *inventory.Object) (kind, name string, ok bool) {
	refs, _ := inventory.MapAt(o.Content, "metadata")["ownerReferences"].([]any)
	for _, r := range refs {
		if m, isMap := r.(map[string]any); isMap {
			if c, _ := m["controller"].(bool); c {
				kind, _ = m["kind"].(string)
				name, _ = m["name"].(string)
				return kind, name, kind != "" && name != ""
			}
		}
	}
	return "", "", false
}

// controlledWithin reports whether an object's controller is in the
// inventory (its pods are that controller's); a Pod or ReplicaSet whose
// controller is not in the input still stands for pods.
func controlledWithin(inv *inventory.Inventory, o *inventory.Object) bool {
	kind, name, ok := controllerOf(o)
	if !ok {
		return false
	}
	for _, c := range inv.InNamespace(o.Ref.Namespace) {
		if c.Ref.Kind == kind && c.Ref.Name == name {
			return true
		}
	}
	return false
}

// containerPorts lists the ports of the pod's containers and of its
// sidecars (init containers that keep running).
func containerPorts(spec map[string]any) []ContainerPort {
	var out []ContainerPort
	add := func(list any, sidecarsOnly bool) {
		cs, _ := list.([]any)
		for _, c := range cs {
			cm, _ := c.(map[string]any)
			if cm == nil {
				continue
			}
			if rp, _ := cm["restartPolicy"].(string); sidecarsOnly && rp != "Always" {
				continue
			}
			ports, _ := cm["ports"].([]any)
			for _, p := range ports {
				pm, _ := p.(map[string]any)
				if pm == nil {
					continue
				}
				n, ok := intValue(pm["containerPort"])
				if !ok || n < 1 || n > 65535 {
					continue
				}
				proto, _ := pm["protocol"].(string)
				if proto == "" {
					proto = TCP
				}
				name, _ := pm["name"].(string)
				out = append(out, ContainerPort{Name: name, Port: int32(n), Protocol: proto})
			}
		}
	}
	add(spec["containers"], false)
	add(spec["initContainers"], true)
	return out
}

func intValue(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		if n == float64(int64(n)) {
			return int64(n), true
		}
	}
	return 0, false
}

// readPolicy reads a NetworkPolicy with the API server's defaults.
func (m *Model) readPolicy(o *inventory.Object) *Policy {
	p := &Policy{Ref: o.Ref, Object: o, Namespace: o.Ref.Namespace}
	if p.Namespace == "" {
		p.Namespace = "default"
		p.Ref.Namespace = "default"
	}
	spec, ok := o.Content["spec"].(map[string]any)
	if !ok {
		m.problem(o, "spec is missing or not a mapping: the policy selects every pod and allows no ingress")
		spec = map[string]any{}
	}
	sel, err := m.selector(spec["podSelector"])
	if err != nil {
		m.problem(o, "spec.podSelector: %v (read as selecting nothing)", err)
		sel = labels.Nothing()
	}
	p.PodSelector = sel
	if ing, present := spec["ingress"]; present && ing != nil {
		p.IngressRules = m.readRules(o, "spec.ingress", "from", ing)
	}
	// The API server defaults policyTypes from the egress section as
	// written, so a rule dropped as unreadable still makes egress isolated.
	egressRules := false
	if eg, present := spec["egress"]; present && eg != nil {
		p.EgressRules = m.readRules(o, "spec.egress", "to", eg)
		list, isList := eg.([]any)
		egressRules = isList && len(list) > 0
	}
	if types, present := spec["policyTypes"]; present && types != nil {
		list, err := inventory.StringList(types)
		if err != nil {
			m.problem(o, "spec.policyTypes: %v", err)
		}
		for _, t := range list {
			switch t {
			case "Ingress":
				p.Ingress = true
			case "Egress":
				p.Egress = true
			default:
				m.problem(o, "spec.policyTypes: unknown type %q (Ingress or Egress)", t)
			}
		}
		if len(list) == 0 {
			p.Ingress, p.Egress = true, egressRules
		}
	} else {
		p.Ingress, p.Egress = true, egressRules
	}
	return p
}

func (m *Model) selector(v any) (labels.Selector, error) {
	ls, err := inventory.LabelSelector(v)
	if err != nil {
		return nil, err
	}
	return metav1.LabelSelectorAsSelector(ls)
}

// readRules reads ingress (peers under "from") or egress (under "to")
// rules. An absent or empty peer list is every peer; an absent or empty
// port list is every port.
func (m *Model) readRules(o *inventory.Object, path, peersKey string, v any) []Rule {
	list, ok := v.([]any)
	if !ok {
		m.problem(o, "%s: want a list, got %s", path, inventory.TypeName(v))
		return nil
	}
	rules := make([]Rule, 0, len(list))
	for i, item := range list {
		rpath := fmt.Sprintf("%s[%d]", path, i)
		rm, ok := item.(map[string]any)
		if !ok {
			if item != nil {
				m.problem(o, "%s: want a mapping, got %s (rule ignored)", rpath, inventory.TypeName(item))
				continue
			}
			rm = map[string]any{} // "- {}" written as "-": every peer, every port
		}
		var r Rule
		if peers, present := rm[peersKey]; present && peers != nil {
			pl, ok := peers.([]any)
			if !ok {
				m.problem(o, "%s.%s: want a list, got %s (rule ignored)", rpath, peersKey, inventory.TypeName(peers))
				continue
			}
			bad := false
			for j, pv := range pl {
				peer, err := m.readPeer(pv)
				if err != nil {
					m.problem(o, "%s.%s[%d]: %v (peer ignored)", rpath, peersKey, j, err)
					bad = true
					continue
				}
				r.Peers = append(r.Peers, peer)
			}
			if bad && len(r.Peers) == 0 {
				// Every peer was unreadable: the rule must not widen to "all".
				continue
			}
		}
		if ports, present := rm["ports"]; present && ports != nil {
			pl, ok := ports.([]any)
			if !ok {
				m.problem(o, "%s.ports: want a list, got %s (rule ignored)", rpath, inventory.TypeName(ports))
				continue
			}
			bad := false
			for j, pv := range pl {
				pr, err := readPort(pv)
				if err != nil {
					m.problem(o, "%s.ports[%d]: %v (port ignored)", rpath, j, err)
					bad = true
					continue
				}
				r.Ports = append(r.Ports, pr)
			}
			if bad && len(r.Ports) == 0 {
				continue
			}
		}
		rules = append(rules, r)
	}
	return rules
}

func (m *Model) readPeer(v any) (Peer, error) {
	pm, ok := v.(map[string]any)
	if !ok {
		return Peer{}, fmt.Errorf("want a mapping, got %s", inventory.TypeName(v))
	}
	var p Peer
	var err error
	// A null selector is an absent one (the API's nil pointer), not the
	// empty selector: "namespaceSelector: null" keeps the policy's namespace.
	if s, present := pm["podSelector"]; present && s != nil {
		if p.PodSelector, err = m.selector(s); err != nil {
			return Peer{}, fmt.Errorf("podSelector: %v", err)
		}
	}
	if s, present := pm["namespaceSelector"]; present && s != nil {
		if p.NamespaceSelector, err = m.selector(s); err != nil {
			return Peer{}, fmt.Errorf("namespaceSelector: %v", err)
		}
	}
	if b, present := pm["ipBlock"]; present && b != nil {
		if p.PodSelector != nil || p.NamespaceSelector != nil {
			return Peer{}, fmt.Errorf("ipBlock cannot be combined with podSelector or namespaceSelector")
		}
		bm, ok := b.(map[string]any)
		if !ok {
			return Peer{}, fmt.Errorf("ipBlock: want a mapping, got %s", inventory.TypeName(b))
		}
		cidr, _ := bm["cidr"].(string)
		prefix, err := parseCIDR(cidr)
		if err != nil {
			return Peer{}, fmt.Errorf("ipBlock.cidr: %v", err)
		}
		block := &IPBlock{CIDR: prefix}
		excepts, err := inventory.StringList(bm["except"])
		if err != nil {
			return Peer{}, fmt.Errorf("ipBlock.except: %v", err)
		}
		for _, e := range excepts {
			ep, err := parseCIDR(e)
			if err != nil {
				return Peer{}, fmt.Errorf("ipBlock.except: %v", err)
			}
			if ep.Addr().Is4() != prefix.Addr().Is4() || !prefix.Contains(ep.Addr()) || ep.Bits() < prefix.Bits() {
				return Peer{}, fmt.Errorf("ipBlock.except: %s is not inside %s", e, cidr)
			}
			block.Except = append(block.Except, ep)
		}
		p.IPBlock = block
	}
	if p.PodSelector == nil && p.NamespaceSelector == nil && p.IPBlock == nil {
		return Peer{}, fmt.Errorf("a peer needs podSelector, namespaceSelector or ipBlock")
	}
	return p, nil
}

// parseCIDR reads a CIDR as the API server validates it (a network address
// with a prefix length; IPv4-mapped IPv6 is read as IPv4).
func parseCIDR(s string) (netip.Prefix, error) {
	if s == "" {
		return netip.Prefix{}, fmt.Errorf("a CIDR is required")
	}
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR", s)
	}
	if p.Addr().Is4In6() {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

func readPort(v any) (PortRule, error) {
	pm, ok := v.(map[string]any)
	if !ok {
		return PortRule{}, fmt.Errorf("want a mapping, got %s", inventory.TypeName(v))
	}
	pr := PortRule{Protocol: TCP}
	if proto, present := pm["protocol"]; present && proto != nil {
		s, _ := proto.(string)
		switch s {
		case TCP, UDP, SCTP:
			pr.Protocol = s
		default:
			return PortRule{}, fmt.Errorf("unknown protocol %v (TCP, UDP or SCTP)", proto)
		}
	}
	switch port := pm["port"].(type) {
	case nil:
	case string:
		if port == "" {
			return PortRule{}, fmt.Errorf("empty port name")
		}
		pr.Named = port
	default:
		n, ok := intValue(port)
		if !ok || n < 1 || n > 65535 {
			return PortRule{}, fmt.Errorf("port %v is not a port number (1-65535) or a name", port)
		}
		p := int32(n)
		pr.Port = &p
	}
	if e, present := pm["endPort"]; present && e != nil {
		n, ok := intValue(e)
		switch {
		case !ok || n < 1 || n > 65535:
			return PortRule{}, fmt.Errorf("endPort %v is not a port number", e)
		case pr.Port == nil:
			return PortRule{}, fmt.Errorf("endPort needs a numeric port")
		case int32(n) < *pr.Port:
			return PortRule{}, fmt.Errorf("endPort %d is below port %d", n, *pr.Port)
		}
		end := int32(n)
		pr.EndPort = &end
	}
	return pr, nil
}
