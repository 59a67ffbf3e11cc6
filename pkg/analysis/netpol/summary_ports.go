package netpol

import "strconv"

// PortRange is an inclusive range of port numbers of one protocol.
type PortRange struct {
	Lo, Hi int32
}

// allPortRange is every port.
var allPortRange = PortRange{Lo: 1, Hi: 65535}

func (r PortRange) String() string {
	switch {
	case r == allPortRange:
		return "every port"
	case r.Lo == r.Hi:
		return strconv.Itoa(int(r.Lo))
	}
	return strconv.Itoa(int(r.Lo)) + "-" + strconv.Itoa(int(r.Hi))
}

// rulePorts appends the port ranges of protocol proto a rule admits toward
// a destination declaring dstPorts (named ports resolve against them; a
// peer outside the cluster declares none).
func rulePorts(out []PortRange, r *Rule, proto string, dstPorts []ContainerPort) []PortRange {
	if r.Ports == nil {
		return append(out, allPortRange)
	}
	for i := range r.Ports {
		pr := &r.Ports[i]
		if pr.Protocol != proto {
			continue
		}
		switch {
		case pr.Named != "":
			for _, cp := range dstPorts {
				if cp.Name == pr.Named && cp.Protocol == proto {
					out = append(out, PortRange{Lo: cp.Port, Hi: cp.Port})
				}
			}
		case pr.Port == nil:
			out = append(out, allPortRange)
		case pr.EndPort != nil:
			out = append(out, PortRange{Lo: *pr.Port, Hi: *pr.EndPort})
		default:
			out = append(out, PortRange{Lo: *pr.Port, Hi: *pr.Port})
		}
	}
	return out
}

// ruleAllPorts reports whether a rule admits every port of proto (to the
// peers it names).
func ruleAllPorts(r *Rule, proto string) bool {
	if r.Ports == nil {
		return true
	}
	for i := range r.Ports {
		pr := &r.Ports[i]
		if pr.Protocol != proto || pr.Named != "" {
			continue
		}
		if pr.Port == nil || (*pr.Port <= 1 && pr.EndPort != nil && *pr.EndPort >= 65535) {
			return true
		}
	}
	return false
}

// ruleSomeNumericPort reports whether a rule admits some port of proto
// whatever the destination declares (no list, or an unnamed entry).
func ruleSomeNumericPort(r *Rule, proto string) bool {
	if r.Ports == nil {
		return true
	}
	for i := range r.Ports {
		if r.Ports[i].Protocol == proto && r.Ports[i].Named == "" {
			return true
		}
	}
	return false
}

// AllowedPorts lists the ports of proto one side of a decision lets
// through toward dst: every port when the side is not isolated (or not
// governed), else the ports of its allowing rules.
func AllowedPorts(s *Side, egress bool, dst Endpoint, proto string) []PortRange {
	if !s.Governed || !s.Isolated {
		return []PortRange{allPortRange}
	}
	var dstPorts []ContainerPort
	if dst.Workload != nil {
		dstPorts = dst.Workload.Ports
	}
	var out []PortRange
	for _, ref := range s.Allowing {
		rules := ref.Policy.IngressRules
		if egress {
			rules = ref.Policy.EgressRules
		}
		out = rulePorts(out, &rules[ref.Rule], proto, dstPorts)
	}
	return out
}

// overlap reports whether two sets of ranges share a port.
func overlap(a, b []PortRange) bool {
	for _, x := range a {
		for _, y := range b {
			if x.Lo <= y.Hi && y.Lo <= x.Hi {
				return true
			}
		}
	}
	return false
}

// commonPort reports whether the two sides of a "some port" decision
// (both allowing) let through one same port: egress may allow only 80 and
// ingress only 443, and then no connection passes.
func commonPort(d *Decision, dst Endpoint, proto string) bool {
	return overlap(AllowedPorts(&d.Egress, true, dst, proto), AllowedPorts(&d.Ingress, false, dst, proto))
}
