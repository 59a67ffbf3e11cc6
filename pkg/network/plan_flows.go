package network

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/kharden/kharden/pkg/analysis/netpol"
	"github.com/kharden/kharden/pkg/inventory"
)

// flow is a connection the plan judges: endpoints of the base model to
// ask about, and how to show it.
type flow struct {
	src, dst netpol.Endpoint
	show     Flow
	keep     bool
}

// keep is an allow the plan writes so that a flow survives: from src's
// pods (nil: from outside the cluster) to dst's pods (nil: to cidr).
type keep struct {
	src  *target
	dst  *target
	cidr *CIDRSpec
	port Port
	why  string
}

// outsideAddr stands for any address outside the cluster (TEST-NET-3).
var outsideAddr = netip.MustParseAddr("203.0.113.10")

const outsideName = "outside"

// gatherFlows finds the flows to judge: declared dependencies, Ingress
// backends and externally exposed Services first (kept), then every
// client a Service's pods accept today (cut unless declared).
func (pl *planner) gatherFlows() {
	seen := map[Flow]bool{}
	add := func(f *flow) {
		k := f.show
		k.Source, k.Via = "", ""
		if seen[k] {
			return
		}
		seen[k] = true
		pl.flows = append(pl.flows, f)
	}
	pl.declaredFlows(add)
	pl.ingressFlows(add)
	pl.serviceFlows(add)
}

func endpointName(e netpol.Endpoint) string {
	if e.Workload != nil {
		return ownerName(e.Workload)
	}
	if e.IP == outsideAddr {
		return outsideName
	}
	return "ip:" + e.IP.String()
}

// objectPlace names an object, or a field of it, for a problem: file and
// line when known.
func objectPlace(o *inventory.Object, path string) string {
	ref := o.Ref.Namespace + "/" + o.Ref.Kind + "/" + o.Ref.Name
	if o.Source.File == "" {
		return ref
	}
	line := o.Source.Line
	if path != "" {
		if l, _, ok := o.FieldPosition(path); ok && l > 0 {
			line = l
		}
	}
	if line > 0 {
		return fmt.Sprintf("%s:%d: %s", o.Source.File, line, ref)
	}
	return o.Source.File + ": " + ref
}

// annotation is a depends-on annotation and where it is written.
type annotation struct {
	value string
	place string
}

// dependsOn collects the depends-on annotations of a workload: on its
// object, its pod template and the workload that owns it.
func (pl *planner) dependsOn(w *netpol.Workload) []annotation {
	objs := []*inventory.Object{w.Object}
	if top := topObject(pl.inv, w); top != nil && top != w.Object {
		objs = append(objs, top)
	}
	seen := map[string]bool{}
	var out []annotation
	for _, o := range objs {
		add := func(annotations map[string]string, meta string) {
			if v, ok := annotations[DependsOnAnnotation]; ok && !seen[v] {
				seen[v] = true
				out = append(out, annotation{value: v, place: objectPlace(o, inventory.Join(meta, "annotations", DependsOnAnnotation))})
			}
		}
		add(o.Annotations(), "metadata")
		if t, ok := o.PodTemplateOf(); ok && o.GK != inventory.KindPod {
			add(inventory.StringMap(inventory.MapAt(t.Meta, "annotations")), inventory.Join(strings.TrimSuffix(t.SpecPath, ".spec"), "metadata"))
		}
	}
	return out
}

func (pl *planner) declaredFlows(add func(*flow)) {
	reported := map[string]bool{}
	report := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if !reported[msg] {
			reported[msg] = true
			pl.problem("%s", msg)
		}
	}
	for _, w := range pl.m.Workloads {
		anns := pl.dependsOn(w)
		if len(anns) == 0 {
			continue
		}
		src, srcErr := pl.r.workload(w)
		if srcErr != nil {
			pl.warn("%s: the plan cannot keep its declared flows: %v", ownerName(w), srcErr)
		}
		for _, a := range anns {
			deps, err := ParseDependsOn(a.value)
			if err != nil {
				report("%s: annotation %s: %v", a.place, DependsOnAnnotation, err)
				continue
			}
			for _, d := range deps {
				pl.declared(w, a.place, d, src, srcErr == nil, add, report)
			}
		}
	}
}

func (pl *planner) declared(w *netpol.Workload, place string, d Dependency, src target, canKeep bool,
	add func(*flow), report func(string, ...any)) {
	via := "depends-on of " + ownerName(w)
	from := netpol.Endpoint{Workload: w}
	if d.External() {
		addr := d.CIDR.Addr()
		if d.CIDR.Bits() < addr.BitLen() {
			addr = addr.Next()
		}
		to := netpol.Endpoint{IP: addr}
		f := &flow{src: from, dst: to, keep: true, show: Flow{From: ownerName(w), To: "ip:" + d.CIDR.String(),
			Port: d.Port.Number, Protocol: d.Port.Protocol, Source: FlowDeclared, Via: via}}
		add(f)
		if canKeep {
			cidr := CIDRSpec{CIDR: d.CIDR}
			s := src
			pl.keeps = append(pl.keeps, keep{src: &s, cidr: &cidr, port: d.Port, why: via})
		}
		return
	}
	eps, err := pl.m.Resolve(d.Target)
	if err != nil {
		report("%s: annotation %s: %v", place, DependsOnAnnotation, err)
		return
	}
	for _, ep := range eps {
		port := d.Port.Number
		if d.Port.Name != "" {
			port = namedPort(ep.Workload, d.Port.Name, d.Port.Protocol)
			if port == 0 {
				report("%s: annotation %s: %s declares no port named %s", place, DependsOnAnnotation,
					ownerName(ep.Workload), d.Port.String())
				continue
			}
		}
		add(&flow{src: from, dst: ep, keep: true, show: Flow{From: ownerName(w), To: ownerName(ep.Workload),
			Port: port, Protocol: d.Port.Protocol, Source: FlowDeclared, Via: via}})
		dst, err := pl.r.workload(ep.Workload)
		if err != nil {
			pl.warn("%s: the plan cannot keep flows to it: %v", ownerName(ep.Workload), err)
			continue
		}
		if canKeep {
			s := src
			pl.keeps = append(pl.keeps, keep{src: &s, dst: &dst, port: d.Port, why: via})
		}
	}
}

// namedPort is the number of a workload's container port of that name
// and protocol, 0 when it has none.
func namedPort(w *netpol.Workload, name, proto string) int32 {
	for _, p := range w.Ports {
		if p.Name == name && p.Protocol == proto {
			return p.Port
		}
	}
	return 0
}

// servicePort is one port of a Service: what clients ask for and where it
// lands on the pods.
type servicePort struct {
	name     string
	port     int32
	protocol string
	target   any // int64 or string; nil: same as port
}

func servicePorts(o *inventory.Object) []servicePort {
	var out []servicePort
	for _, item := range inventory.SliceAt(o.Content, "spec", "ports") {
		m, _ := item.(map[string]any)
		if m == nil {
			continue
		}
		sp := servicePort{protocol: netpol.TCP, target: m["targetPort"]}
		sp.name, _ = m["name"].(string)
		if n, ok := m["port"].(int64); ok {
			sp.port = int32(n)
		} else if f, ok := m["port"].(float64); ok {
			sp.port = int32(f)
		}
		if p, _ := m["protocol"].(string); p != "" {
			sp.protocol = p
		}
		out = append(out, sp)
	}
	return out
}

// targetOn resolves a Service port on one workload's pods; 0 when the
// pods do not have it.
func (sp servicePort) targetOn(w *netpol.Workload) int32 {
	switch t := sp.target.(type) {
	case nil:
		return sp.port
	case int64:
		return int32(t)
	case float64:
		return int32(t)
	case string:
		if n, ok := parseDigits(t); ok {
			return n
		}
		return namedPort(w, t, sp.protocol)
	}
	return 0
}

func parseDigits(s string) (int32, bool) {
	if !isDigits(s) {
		return 0, false
	}
	n, err := portNumber(s)
	return n, err == nil
}

// serviceBackends lists the workloads a Service selects.
func (pl *planner) serviceBackends(o *inventory.Object) []*netpol.Workload {
	sel := inventory.StringMap(inventory.MapAt(o.Content, "spec", "selector"))
	if len(sel) == 0 {
		return nil
	}
	set := labels.SelectorFromSet(sel)
	var out []*netpol.Workload
	for _, w := range pl.m.Workloads {
		if w.Namespace.Name == namespaceOf(o) && set.Matches(w.Labels) {
			out = append(out, w)
		}
	}
	return out
}

func namespaceOf(o *inventory.Object) string {
	if o.Ref.Namespace == "" {
		return "default"
	}
	return o.Ref.Namespace
}

func (pl *planner) serviceFlows(add func(*flow)) {
	for _, svc := range pl.inv.ByKind(inventory.KindService) {
		ns := namespaceOf(svc)
		name := "Service " + ns + "/" + svc.Ref.Name
		typ, _ := inventory.StringAt(svc.Content, "spec", "type")
		exposed := typ == "LoadBalancer" || typ == "NodePort"
		for _, dst := range pl.serviceBackends(svc) {
			for _, sp := range servicePorts(svc) {
				port := sp.targetOn(dst)
				if port == 0 {
					pl.warn("%s port %d: target port %v is not a port of %s", name, sp.port, sp.target, ownerName(dst))
					continue
				}
				if exposed {
					pl.exposed(svc, typ, dst, port, sp.protocol, add)
				}
				for _, c := range pl.m.Workloads {
					if ownerName(c) == ownerName(dst) {
						continue
					}
					from, to := netpol.Endpoint{Workload: c}, netpol.Endpoint{Workload: dst}
					if !pl.before.allowed(from, to, port, sp.protocol) {
						continue
					}
					add(&flow{src: from, dst: to, show: Flow{From: ownerName(c), To: ownerName(dst), Port: port,
						Protocol: sp.protocol, Source: FlowService, Via: name}})
				}
			}
		}
	}
}

// exposed keeps the flows from outside the cluster to a LoadBalancer or
// NodePort Service's pods: the Service says they are meant.
func (pl *planner) exposed(svc *inventory.Object, typ string, dst *netpol.Workload, port int32, proto string, add func(*flow)) {
	via := "Service " + namespaceOf(svc) + "/" + svc.Ref.Name + " (" + typ + ")"
	from, to := netpol.Endpoint{IP: outsideAddr}, netpol.Endpoint{Workload: dst}
	add(&flow{src: from, dst: to, keep: true, show: Flow{From: outsideName, To: ownerName(dst), Port: port,
		Protocol: proto, Source: FlowExternal, Via: via}})
	t, err := pl.r.workload(dst)
	if err != nil {
		pl.warn("%s: the plan cannot keep flows to it: %v", ownerName(dst), err)
		return
	}
	pl.keeps = append(pl.keeps, keep{dst: &t, port: Port{Protocol: proto, Number: port}, why: via})
}

// ingressBackend is a Service an Ingress routes to: its name and port
// (number, or name).
type ingressBackend struct {
	service string
	port    any
}

func ingressBackends(o *inventory.Object) []ingressBackend {
	var out []ingressBackend
	addV1 := func(b map[string]any) {
		if b == nil {
			return
		}
		if s := inventory.MapAt(b, "service"); s != nil {
			name, _ := s["name"].(string)
			p := inventory.MapAt(s, "port")
			var port any = p["number"]
			if n, ok := p["name"].(string); ok && n != "" {
				port = n
			}
			if name != "" {
				out = append(out, ingressBackend{service: name, port: port})
			}
			return
		}
		// extensions/v1beta1 and networking.k8s.io/v1beta1
		if name, _ := b["serviceName"].(string); name != "" {
			out = append(out, ingressBackend{service: name, port: b["servicePort"]})
		}
	}
	spec := inventory.MapAt(o.Content, "spec")
	addV1(inventory.MapAt(spec, "defaultBackend"))
	addV1(inventory.MapAt(spec, "backend"))
	for _, r := range inventory.SliceAt(spec, "rules") {
		rm, _ := r.(map[string]any)
		for _, p := range inventory.SliceAt(rm, "http", "paths") {
			pm, _ := p.(map[string]any)
			addV1(inventory.MapAt(pm, "backend"))
		}
	}
	return out
}

// matches reports whether an Ingress backend port names this Service port.
func (b ingressBackend) matches(sp servicePort) bool {
	switch p := b.port.(type) {
	case int64:
		return int64(sp.port) == p
	case float64:
		return float64(sp.port) == p
	case string:
		if n, ok := parseDigits(p); ok {
			return n == sp.port
		}
		return p == sp.name
	}
	return false
}

func (pl *planner) ingressFlows(add func(*flow)) {
	ingresses := pl.inv.ByKind(inventory.KindIngress)
	if len(ingresses) == 0 {
		return
	}
	ctrl, err := pl.r.app(pl.opts.IngressController)
	if err != nil {
		pl.warn("ingress controller: %v", err)
		return
	}
	controllers := pl.r.selected(ctrl)
	if len(controllers) == 0 {
		pl.warn("the ingress controller (%s) is not in the input: Ingress backends are allowed from pods with its labels; check them", ctrl.Desc)
	}
	for _, ing := range ingresses {
		ns := namespaceOf(ing)
		via := "Ingress " + ns + "/" + ing.Ref.Name
		for _, b := range ingressBackends(ing) {
			svcs := pl.inv.Get(inventory.KindService, ns, b.service)
			if len(svcs) == 0 {
				pl.warn("%s: backend Service %s/%s is not in the input", via, ns, b.service)
				continue
			}
			for _, sp := range servicePorts(svcs[0]) {
				if !b.matches(sp) {
					continue
				}
				for _, dst := range pl.serviceBackends(svcs[0]) {
					port := sp.targetOn(dst)
					if port == 0 {
						continue
					}
					for _, c := range controllers {
						add(&flow{src: netpol.Endpoint{Workload: c}, dst: netpol.Endpoint{Workload: dst}, keep: true,
							show: Flow{From: ownerName(c), To: ownerName(dst), Port: port, Protocol: sp.protocol, Source: FlowIngress, Via: via}})
					}
					t, err := pl.r.workload(dst)
					if err != nil {
						pl.warn("%s: the plan cannot keep flows to it: %v", ownerName(dst), err)
						continue
					}
					c := ctrl
					pl.keeps = append(pl.keeps, keep{src: &c, dst: &t, port: Port{Protocol: sp.protocol, Number: port}, why: via})
				}
			}
		}
	}
}

func sortFlows(fs []Flow) []Flow {
	seen := map[Flow]bool{}
	out := fs[:0]
	for _, f := range fs {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.To != b.To {
			return a.To < b.To
		}
		if a.Port != b.Port {
			return a.Port < b.Port
		}
		if a.Protocol != b.Protocol {
			return a.Protocol < b.Protocol
		}
		if a.From != b.From {
			return a.From < b.From
		}
		return strings.Compare(a.Via, b.Via) < 0
	})
	return out
}
