package network

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	k8sfield "k8s.io/apimachinery/pkg/util/validation/field"
)

// MaxSpecBytes bounds a spec file: specs are written by hand.
const MaxSpecBytes = 1 << 20

// Defaults of the selectors a spec may leave out.
var (
	// DefaultDNS selects CoreDNS / kube-dns as kubeadm, kind, EKS, GKE and
	// AKS deploy it.
	DefaultDNS = AppRef{Namespace: "kube-system", Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}}, Name: "kube-dns"}
	// DefaultIngressController selects the ingress-nginx controller as its
	// Helm chart and manifests label it.
	DefaultIngressController = AppRef{Namespace: "ingress-nginx",
		Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": "ingress-nginx"}}, Name: "ingress-nginx"}
)

// ParseSpec reads a spec file strictly: one YAML document, known fields
// only, every value checked as the API server would check it in the
// policies made from it. Errors name the file, line and field.
func ParseSpec(file string, data []byte) (*Spec, error) {
	d := &decoder{file: file}
	if len(data) > MaxSpecBytes {
		return nil, &SpecError{File: file, Message: fmt.Sprintf("larger than %d bytes: a spec is written by hand", MaxSpecBytes)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &SpecError{File: file, Message: "the spec is empty"}
		}
		return nil, d.syntaxError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		line := extra.Line
		if len(extra.Content) > 0 {
			line = extra.Content[0].Line
		}
		return nil, &SpecError{File: file, Line: line, Message: "a spec is one YAML document: remove the second (or merge them)"}
	} else if !errors.Is(err, io.EOF) {
		return nil, d.syntaxError(err)
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, &SpecError{File: file, Line: doc.Line, Message: "the spec is empty"}
	}
	return d.spec(doc.Content[0])
}

func (d *decoder) spec(n *yaml.Node) (*Spec, error) {
	fs, err := d.mapping(n, "", "apiVersion", "kind", "defaultDeny", "allowDNS", "allowFromIngress", "allowTo", "egressAllowlist")
	if err != nil {
		return nil, err
	}
	for key, want := range map[string]string{"apiVersion": SpecAPIVersion, "kind": SpecKind} {
		if f, ok := fs[key]; ok {
			s, err := d.str(f)
			if err != nil {
				return nil, err
			}
			if s != want {
				return nil, d.at(f.node, f.path).Errorf("want %q, got %q", want, s)
			}
		}
	}
	s := &Spec{File: d.file}
	if f, ok := fs["defaultDeny"]; ok {
		if s.DefaultDeny, err = d.defaultDeny(f); err != nil {
			return nil, err
		}
	}
	if f, ok := fs["allowDNS"]; ok {
		if s.AllowDNS, err = d.allowDNS(f); err != nil {
			return nil, err
		}
	}
	if f, ok := fs["allowFromIngress"]; ok {
		if s.AllowFromIngress, err = d.allowFromIngress(f); err != nil {
			return nil, err
		}
	}
	if f, ok := fs["allowTo"]; ok {
		items, err := d.seq(f)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			a, err := d.allowTo(it)
			if err != nil {
				return nil, err
			}
			s.AllowTo = append(s.AllowTo, a)
		}
	}
	if f, ok := fs["egressAllowlist"]; ok {
		items, err := d.seq(f)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			a, err := d.egressAllowlist(it)
			if err != nil {
				return nil, err
			}
			s.EgressAllowlist = append(s.EgressAllowlist, a)
		}
	}
	if s.DefaultDeny == nil && s.AllowDNS == nil && s.AllowFromIngress == nil && s.AllowTo == nil && s.EgressAllowlist == nil {
		return nil, d.at(n, "").Errorf("no section: write defaultDeny, allowDNS, allowFromIngress, allowTo or egressAllowlist")
	}
	return s, nil
}

func (d *decoder) defaultDeny(f field) (*DefaultDenySpec, error) {
	fs, err := d.mapping(f.node, f.path, "namespaces", "namespaceSelector", "directions")
	if err != nil {
		return nil, err
	}
	out := &DefaultDenySpec{Pos: d.at(f.node, f.path), Direction: DirectionBoth}
	if out.Namespaces, err = d.namespaceSet(f, fs); err != nil {
		return nil, err
	}
	if df, ok := fs["directions"]; ok {
		if out.Direction, err = d.directions(df); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// directions reads "ingress", "egress", "both" or a list of ingress and
// egress.
func (d *decoder) directions(f field) (Direction, error) {
	var words []string
	if n := resolve(f.node); n != nil && n.Kind == yaml.SequenceNode {
		list, err := d.strList(f)
		if err != nil {
			return "", err
		}
		words = list
	} else {
		s, err := d.str(f)
		if err != nil {
			return "", err
		}
		words = []string{s}
	}
	in, eg := false, false
	for _, w := range words {
		switch Direction(strings.ToLower(w)) {
		case DirectionIngress:
			in = true
		case DirectionEgress:
			eg = true
		case DirectionBoth:
			in, eg = true, true
		default:
			return "", d.at(f.node, f.path).Errorf("unknown direction %q (ingress, egress or both)", w)
		}
	}
	switch {
	case in && eg:
		return DirectionBoth, nil
	case in:
		return DirectionIngress, nil
	case eg:
		return DirectionEgress, nil
	}
	return "", d.at(f.node, f.path).Errorf("no direction: write ingress, egress or both")
}

// namespaceSet reads the namespaces and namespaceSelector fields of a
// section; one of them is required.
func (d *decoder) namespaceSet(section field, fs map[string]field) (NamespaceSet, error) {
	out := NamespaceSet{Pos: d.at(section.node, section.path)}
	if f, ok := fs["namespaces"]; ok {
		items, err := d.seq(f)
		if err != nil {
			return out, err
		}
		for _, it := range items {
			ns, err := d.namespaceName(it)
			if err != nil {
				return out, err
			}
			out.Names = append(out.Names, ns)
		}
	}
	if f, ok := fs["namespaceSelector"]; ok {
		sel, err := d.labelSelector(f)
		if err != nil {
			return out, err
		}
		out.Selector = sel
	}
	if len(out.Names) == 0 && out.Selector == nil {
		return out, out.Errorf("name the namespaces: namespaces (a list) or namespaceSelector (labels of the input's namespaces)")
	}
	return out, nil
}

func (d *decoder) namespaceName(f field) (string, error) {
	s, err := d.str(f)
	if err != nil {
		return "", err
	}
	if errs := validation.IsDNS1123Label(s); len(errs) > 0 {
		return "", d.at(f.node, f.path).Errorf("%q is not a namespace name: %s", s, errs[0])
	}
	return s, nil
}

// labelSelector reads a Kubernetes label selector (matchLabels,
// matchExpressions) and validates it as the API server does.
func (d *decoder) labelSelector(f field) (*metav1.LabelSelector, error) {
	fs, err := d.mapping(f.node, f.path, "matchLabels", "matchExpressions")
	if err != nil {
		return nil, err
	}
	sel := &metav1.LabelSelector{}
	if ml, ok := fs["matchLabels"]; ok && !isNull(resolve(ml.node)) {
		if sel.MatchLabels, err = d.stringMap(ml); err != nil {
			return nil, err
		}
	}
	if me, ok := fs["matchExpressions"]; ok && !isNull(resolve(me.node)) {
		items, err := d.seq(me)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			efs, err := d.mapping(it.node, it.path, "key", "operator", "values")
			if err != nil {
				return nil, err
			}
			var r metav1.LabelSelectorRequirement
			if kf, ok := efs["key"]; ok {
				if r.Key, err = d.str(kf); err != nil {
					return nil, err
				}
			}
			if of, ok := efs["operator"]; ok {
				op, err := d.str(of)
				if err != nil {
					return nil, err
				}
				r.Operator = metav1.LabelSelectorOperator(op)
			}
			if vf, ok := efs["values"]; ok {
				if r.Values, err = d.strList(vf); err != nil {
					return nil, err
				}
			}
			sel.MatchExpressions = append(sel.MatchExpressions, r)
		}
	}
	if err := d.validSelector(f, sel); err != nil {
		return nil, err
	}
	return sel, nil
}

func (d *decoder) validSelector(f field, sel *metav1.LabelSelector) error {
	errs := metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, k8sfield.NewPath(f.path))
	if len(errs) > 0 {
		return d.at(f.node, f.path).Errorf("%s", errs[0].ErrorBody())
	}
	return nil
}

// appRef reads "NAMESPACE/NAME", "NAMESPACE/KIND/NAME" or a mapping
// {namespace, labels | podSelector, name}.
func (d *decoder) appRef(f field) (AppRef, error) {
	n := resolve(f.node)
	pos := d.at(n, f.path)
	if n != nil && n.Kind == yaml.ScalarNode {
		s, err := d.str(f)
		if err != nil {
			return AppRef{}, err
		}
		a, err := parseRef(s)
		if err != nil {
			return AppRef{}, pos.Errorf("%v", err)
		}
		a.Pos = pos
		return a, nil
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return AppRef{}, pos.Errorf("want NAMESPACE/NAME or a mapping {namespace, labels}, got %s", kindName(n))
	}
	fs, err := d.mapping(f.node, f.path, "namespace", "labels", "podSelector", "name")
	if err != nil {
		return AppRef{}, err
	}
	a := AppRef{Pos: pos}
	nf, ok := fs["namespace"]
	if !ok {
		return AppRef{}, pos.Errorf("namespace is required")
	}
	if a.Namespace, err = d.namespaceName(nf); err != nil {
		return AppRef{}, err
	}
	lf, hasLabels := fs["labels"]
	pf, hasSel := fs["podSelector"]
	switch {
	case hasLabels && hasSel:
		return AppRef{}, pos.Errorf("write labels or podSelector, not both")
	case hasLabels:
		ml, err := d.stringMap(lf)
		if err != nil {
			return AppRef{}, err
		}
		a.Selector = &metav1.LabelSelector{MatchLabels: ml}
		if err := d.validSelector(lf, a.Selector); err != nil {
			return AppRef{}, err
		}
	case hasSel:
		if a.Selector, err = d.labelSelector(pf); err != nil {
			return AppRef{}, err
		}
	default:
		a.Selector = &metav1.LabelSelector{}
	}
	if nf, ok := fs["name"]; ok {
		if a.Name, err = d.str(nf); err != nil {
			return AppRef{}, err
		}
		if errs := validation.IsDNS1123Label(a.Name); len(errs) > 0 {
			return AppRef{}, d.at(nf.node, nf.path).Errorf("%q: a name is lower-case letters, digits and '-': %s", a.Name, errs[0])
		}
	}
	return a, nil
}

// parseRef reads a workload reference "NAMESPACE/NAME" or
// "NAMESPACE/KIND/NAME".
func parseRef(s string) (AppRef, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 2 && len(parts) != 3 {
		return AppRef{}, fmt.Errorf("%q: write NAMESPACE/NAME or NAMESPACE/KIND/NAME (or a mapping {namespace, labels})", s)
	}
	if errs := validation.IsDNS1123Label(parts[0]); len(errs) > 0 {
		return AppRef{}, fmt.Errorf("%q: %q is not a namespace name", s, parts[0])
	}
	name := parts[len(parts)-1]
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return AppRef{}, fmt.Errorf("%q: %q is not an object name", s, name)
	}
	if len(parts) == 3 {
		if k := parts[1]; k == "" || strings.IndexFunc(k, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') }) >= 0 {
			return AppRef{}, fmt.Errorf("%q: %q is not a kind", s, k)
		}
	}
	return AppRef{Ref: s, Namespace: parts[0]}, nil
}

// ports reads a non-empty list of ports.
func (d *decoder) ports(f field, required bool) ([]Port, error) {
	items, err := d.seq(f)
	if err != nil {
		return nil, err
	}
	if required && len(items) == 0 {
		return nil, d.at(f.node, f.path).Errorf("list at least one port (5432, 53/UDP, http, 8000-8080/TCP)")
	}
	var out []Port
	seen := map[Port]bool{}
	for _, it := range items {
		s, err := d.scalar(it)
		if err != nil {
			return nil, err
		}
		p, err := ParsePort(s)
		if err != nil {
			return nil, d.at(it.node, it.path).Errorf("%v", err)
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out, nil
}

// ParsePort reads a port as specs and annotations write it: 5432,
// 5432/TCP, 53/udp, http (a container port name), 8000-8080/TCP.
func ParsePort(s string) (Port, error) {
	p := Port{Protocol: "TCP"}
	body, proto, hasProto := strings.Cut(strings.TrimSpace(s), "/")
	if hasProto {
		switch up := strings.ToUpper(proto); up {
		case "TCP", "UDP", "SCTP":
			p.Protocol = up
		default:
			return Port{}, fmt.Errorf("port %q: unknown protocol %q (TCP, UDP or SCTP)", s, proto)
		}
	}
	if body == "" {
		return Port{}, fmt.Errorf("port %q: no port", s)
	}
	if lo, hi, isRange := strings.Cut(body, "-"); isRange && isDigits(lo) && isDigits(hi) {
		a, err1 := portNumber(lo)
		b, err2 := portNumber(hi)
		if err := errors.Join(err1, err2); err != nil {
			return Port{}, fmt.Errorf("port %q: %v", s, err)
		}
		if b < a {
			return Port{}, fmt.Errorf("port %q: the range ends before it starts", s)
		}
		p.Number, p.End = a, b
		if a == b {
			p.End = 0
		}
		return p, nil
	}
	if isDigits(body) {
		n, err := portNumber(body)
		if err != nil {
			return Port{}, fmt.Errorf("port %q: %v", s, err)
		}
		p.Number = n
		return p, nil
	}
	if errs := validation.IsValidPortName(body); len(errs) > 0 {
		return Port{}, fmt.Errorf("port %q: not a number, a range or a port name: %s", s, errs[0])
	}
	p.Name = body
	return p, nil
}

func isDigits(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0
}

func portNumber(s string) (int32, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%s is not a port number (1-65535)", s)
	}
	return int32(n), nil
}

// ParseCIDR reads a CIDR as the API server accepts it in an ipBlock: a
// network address (10.0.0.0/8, not 10.1.2.3/8) and a prefix length. A bare
// address is a /32 or /128.
func ParseCIDR(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q is not an address or a CIDR", s)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR", s)
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("%q: write IPv4-mapped blocks as IPv4", s)
	}
	if p != p.Masked() {
		return netip.Prefix{}, fmt.Errorf("%q is not a network address: did you mean %s?", s, p.Masked())
	}
	return p, nil
}

func (d *decoder) cidr(f field, exceptF *field) (*CIDRSpec, error) {
	s, err := d.str(f)
	if err != nil {
		return nil, err
	}
	p, err := ParseCIDR(s)
	if err != nil {
		return nil, d.at(f.node, f.path).Errorf("%v", err)
	}
	out := &CIDRSpec{CIDR: p}
	if exceptF == nil {
		return out, nil
	}
	items, err := d.seq(*exceptF)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		es, err := d.str(it)
		if err != nil {
			return nil, err
		}
		e, err := ParseCIDR(es)
		if err != nil {
			return nil, d.at(it.node, it.path).Errorf("%v", err)
		}
		if !strictlyInside(e, p) {
			return nil, d.at(it.node, it.path).Errorf("%s is not strictly inside %s (the API server requires it)", e, p)
		}
		out.Except = append(out.Except, e)
	}
	return out, nil
}

// strictlyInside reports whether inner is a proper sub-block of outer.
func strictlyInside(inner, outer netip.Prefix) bool {
	return inner.Addr().Is4() == outer.Addr().Is4() && outer.Contains(inner.Addr()) && inner.Bits() > outer.Bits()
}

func (d *decoder) allowDNS(f field) (*AllowDNSSpec, error) {
	fs, err := d.mapping(f.node, f.path, "namespaces", "namespaceSelector", "dns")
	if err != nil {
		return nil, err
	}
	out := &AllowDNSSpec{Pos: d.at(f.node, f.path), DNS: DefaultDNS}
	if out.Namespaces, err = d.namespaceSet(f, fs); err != nil {
		return nil, err
	}
	if df, ok := fs["dns"]; ok {
		if out.DNS, err = d.appRef(df); err != nil {
			return nil, err
		}
		if out.DNS.Name == "" && out.DNS.Ref == "" {
			out.DNS.Name = "dns"
		}
	}
	return out, nil
}

func (d *decoder) allowFromIngress(f field) (*AllowFromIngressSpec, error) {
	fs, err := d.mapping(f.node, f.path, "controller", "apps")
	if err != nil {
		return nil, err
	}
	out := &AllowFromIngressSpec{Pos: d.at(f.node, f.path), Controller: DefaultIngressController}
	if cf, ok := fs["controller"]; ok {
		if out.Controller, err = d.appRef(cf); err != nil {
			return nil, err
		}
	}
	af, ok := fs["apps"]
	if !ok {
		return nil, out.Errorf("apps is required: the apps the ingress controller may reach, with their ports")
	}
	items, err := d.seq(af)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, d.at(af.node, af.path).Errorf("list at least one app")
	}
	for _, it := range items {
		afs, err := d.mapping(it.node, it.path, "app", "ports")
		if err != nil {
			return nil, err
		}
		ia := IngressAppSpec{Pos: d.at(it.node, it.path)}
		appF, ok := afs["app"]
		if !ok {
			return nil, ia.Errorf("app is required")
		}
		if ia.App, err = d.appRef(appF); err != nil {
			return nil, err
		}
		pf, ok := afs["ports"]
		if !ok {
			return nil, ia.Errorf("ports is required")
		}
		if ia.Ports, err = d.ports(pf, true); err != nil {
			return nil, err
		}
		out.Apps = append(out.Apps, ia)
	}
	return out, nil
}

func (d *decoder) allowTo(f field) (AllowToSpec, error) {
	fs, err := d.mapping(f.node, f.path, "from", "to", "ports", "sides")
	if err != nil {
		return AllowToSpec{}, err
	}
	a := AllowToSpec{Pos: d.at(f.node, f.path), Sides: SidesBoth}
	for _, key := range []string{"from", "to", "ports"} {
		if _, ok := fs[key]; !ok {
			return AllowToSpec{}, a.Errorf("%s is required", key)
		}
	}
	if a.From, err = d.appRef(fs["from"]); err != nil {
		return AllowToSpec{}, err
	}
	if a.To, err = d.appRef(fs["to"]); err != nil {
		return AllowToSpec{}, err
	}
	if a.Ports, err = d.ports(fs["ports"], true); err != nil {
		return AllowToSpec{}, err
	}
	if sf, ok := fs["sides"]; ok {
		s, err := d.str(sf)
		if err != nil {
			return AllowToSpec{}, err
		}
		switch Sides(s) {
		case SidesBoth, SidesEgress, SidesIngress:
			a.Sides = Sides(s)
		default:
			return AllowToSpec{}, d.at(sf.node, sf.path).Errorf("unknown sides %q (both, egress or ingress)", s)
		}
	}
	return a, nil
}

func (d *decoder) egressAllowlist(f field) (EgressAllowlistSpec, error) {
	fs, err := d.mapping(f.node, f.path, "app", "namespace", "allow")
	if err != nil {
		return EgressAllowlistSpec{}, err
	}
	e := EgressAllowlistSpec{Pos: d.at(f.node, f.path)}
	appF, hasApp := fs["app"]
	nsF, hasNS := fs["namespace"]
	switch {
	case hasApp && hasNS:
		return e, e.Errorf("write app (some pods) or namespace (every pod of it), not both")
	case hasApp:
		if e.App, err = d.appRef(appF); err != nil {
			return e, err
		}
	case hasNS:
		ns, err := d.namespaceName(nsF)
		if err != nil {
			return e, err
		}
		e.App = AppRef{Pos: d.at(nsF.node, nsF.path), Namespace: ns, Selector: &metav1.LabelSelector{}}
	default:
		return e, e.Errorf("app or namespace is required: whose egress this is")
	}
	alF, ok := fs["allow"]
	if !ok {
		return e, e.Errorf("allow is required (an empty list denies all egress)")
	}
	items, err := d.seq(alF)
	if err != nil {
		return e, err
	}
	for _, it := range items {
		r, err := d.egressRule(it)
		if err != nil {
			return e, err
		}
		e.Allow = append(e.Allow, r)
	}
	return e, nil
}

func (d *decoder) egressRule(f field) (EgressRuleSpec, error) {
	fs, err := d.mapping(f.node, f.path, "cidr", "except", "to", "ports")
	if err != nil {
		return EgressRuleSpec{}, err
	}
	r := EgressRuleSpec{Pos: d.at(f.node, f.path)}
	cf, hasCIDR := fs["cidr"]
	tf, hasTo := fs["to"]
	ef, hasExcept := fs["except"]
	switch {
	case hasCIDR && hasTo:
		return r, r.Errorf("write cidr (outside the cluster) or to (an app in it), not both")
	case hasCIDR:
		var exc *field
		if hasExcept {
			exc = &ef
		}
		if r.CIDR, err = d.cidr(cf, exc); err != nil {
			return r, err
		}
	case hasTo:
		if hasExcept {
			return r, d.at(ef.node, ef.path).Errorf("except goes with cidr")
		}
		to, err := d.appRef(tf)
		if err != nil {
			return r, err
		}
		r.To = &to
	default:
		return r, r.Errorf("cidr or to is required")
	}
	if pf, ok := fs["ports"]; ok {
		if r.Ports, err = d.ports(pf, true); err != nil {
			return r, err
		}
	}
	return r, nil
}
