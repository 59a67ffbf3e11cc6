package network

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kharden/kharden/pkg/analysis/netpol"
	"github.com/kharden/kharden/pkg/finding"
)

// ReachQuestion is what `kharden netpol reach` asks. From and To are
// endpoints as netpol.Model.Resolve reads them (NAMESPACE/NAME,
// NAMESPACE/KIND/NAME, ip:ADDRESS). Port is one of:
//
//	""           every port the destination declares (some TCP port when it declares none)
//	N, N/PROTO   port N (TCP unless PROTO says UDP or SCTP)
//	NAME[/PROTO] the destination's container port of that name
//	any/PROTO    some port of the protocol (also "*" or "0")
type ReachQuestion struct {
	From, To, Port string
}

// ReachAnswer holds one verdict per pair of endpoints and port asked (a
// name may stand for several workloads, and a destination for several
// declared ports). It marshals as one object when there is one verdict,
// as an array otherwise.
type ReachAnswer struct {
	Pairs []ReachPair
	// Warnings are about the question (a destination skipped because it
	// does not declare the named port).
	Warnings []string
}

// ReachPair is one verdict: allowed when the source's egress and the
// destination's ingress both allow the connection.
type ReachPair struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Port 0 asks for some port of the protocol: allowed when one port
	// passes both sides.
	Port     int32  `json:"port"`
	PortName string `json:"portName,omitempty"`
	Protocol string `json:"protocol"`
	Allowed  bool   `json:"allowed"`
	// NoCommonPort: each side allows some port of the protocol, but none
	// is allowed by both.
	NoCommonPort bool      `json:"noCommonPort,omitempty"`
	Egress       ReachSide `json:"egress"`
	Ingress      ReachSide `json:"ingress"`
}

// ReachSide is one direction's verdict: the source's egress or the
// destination's ingress.
type ReachSide struct {
	Allowed bool `json:"allowed"`
	// Outside: the endpoint is outside the cluster, no policy of the
	// cluster decides this side. HostNetwork: the pod uses its node's
	// network, which NetworkPolicy does not govern.
	Outside     bool `json:"outside,omitempty"`
	HostNetwork bool `json:"hostNetwork,omitempty"`
	// Isolated: some policy selects the pod for this direction (Policies),
	// so only what their rules allow passes (AllowedBy).
	Isolated  bool                `json:"isolated"`
	Policies  []finding.ObjectRef `json:"policies"`
	AllowedBy []ReachRule         `json:"allowedBy"`
	// Ports this side lets through, for a some-port question on an
	// isolated side ("80", "8000-8100").
	Ports []string `json:"ports,omitempty"`
}

// ReachRule is a rule that allows the connection: the policy, the rule's
// position in its ingress or egress list (from 1) and its text.
type ReachRule struct {
	Policy finding.ObjectRef `json:"policy"`
	Rule   int               `json:"rule"`
	Text   string            `json:"text"`
}

// MarshalJSON writes one pair as an object, several as an array.
func (a *ReachAnswer) MarshalJSON() ([]byte, error) {
	if len(a.Pairs) == 1 {
		return json.Marshal(a.Pairs[0])
	}
	pairs := a.Pairs
	if pairs == nil {
		pairs = []ReachPair{}
	}
	return json.Marshal(pairs)
}

// reachPort is a parsed --port.
type reachPort struct {
	given      bool
	number     int32
	name       string
	protocol   string
	protoGiven bool
	any        bool
}

// parseReachPort reads a --port value.
func parseReachPort(s string) (reachPort, error) {
	p := reachPort{protocol: netpol.TCP}
	if s == "" {
		return p, nil
	}
	p.given = true
	body, proto, hasProto := strings.Cut(s, "/")
	if hasProto {
		up := strings.ToUpper(proto)
		if up != netpol.TCP && up != netpol.UDP && up != netpol.SCTP {
			return p, fmt.Errorf("--port %q: unknown protocol %q (TCP, UDP or SCTP)", s, proto)
		}
		p.protocol, p.protoGiven = up, true
	}
	switch {
	case body == "":
		return p, fmt.Errorf("--port %q: no port before the protocol (write any/%s for some port)", s, p.protocol)
	case body == "any" || body == "*" || body == "0":
		p.any = true
	case strings.Trim(body, "0123456789") == "":
		n, err := strconv.Atoi(body)
		if err != nil || n < 1 || n > 65535 {
			return p, fmt.Errorf("--port %q: %s is not a port number (1-65535)", s, body)
		}
		p.number = int32(n)
	default:
		if errs := validation.IsValidPortName(body); len(errs) > 0 {
			return p, fmt.Errorf("--port %q: not a port number or a port name: %s", s, errs[0])
		}
		p.name = body
	}
	return p, nil
}

// reachConn is one connection to ask about.
type reachConn struct {
	conn netpol.Conn
	name string
}

// Reach answers a reach question on a model.
func Reach(m *netpol.Model, q ReachQuestion) (*ReachAnswer, error) {
	port, err := parseReachPort(q.Port)
	if err != nil {
		return nil, err
	}
	froms, err := m.Resolve(q.From)
	if err != nil {
		return nil, fmt.Errorf("--from: %v", err)
	}
	tos, err := m.Resolve(q.To)
	if err != nil {
		return nil, fmt.Errorf("--to: %v", err)
	}
	if froms[0].External() && tos[0].External() {
		return nil, fmt.Errorf("--from %s --to %s: both ends are outside the cluster; name a pod or workload of the input at one end", q.From, q.To)
	}
	a := &ReachAnswer{}
	asked := false
	var skipped []string
	for _, to := range tos {
		conns, err := reachConns(port, to)
		if err != nil {
			if len(tos) == 1 {
				return nil, err
			}
			skipped = append(skipped, err.Error())
			continue
		}
		asked = true
		for _, from := range froms {
			for _, c := range conns {
				a.Pairs = append(a.Pairs, reachPair(m, from, to, c))
			}
		}
	}
	if !asked {
		return nil, fmt.Errorf("none of the %d destinations named %s has the port: %s", len(tos), q.To, strings.Join(skipped, "; "))
	}
	for _, s := range skipped {
		a.Warnings = append(a.Warnings, s+" (that destination is skipped)")
	}
	return a, nil
}

// reachConns are the connections to ask about toward one destination.
func reachConns(p reachPort, to netpol.Endpoint) ([]reachConn, error) {
	switch {
	case p.any:
		return []reachConn{{conn: netpol.Conn{Protocol: p.protocol}}}, nil
	case p.number != 0:
		return []reachConn{{conn: netpol.Conn{Port: p.number, Protocol: p.protocol}}}, nil
	case p.name != "":
		if to.External() {
			return nil, fmt.Errorf("--port %s: a named port is a port of a pod; %s is outside the cluster", p.name, to)
		}
		var out []reachConn
		var declared []string
		for _, cp := range to.Workload.Ports {
			declared = append(declared, reachDeclared(cp))
			if cp.Name == p.name && (!p.protoGiven || cp.Protocol == p.protocol) {
				out = append(out, reachConn{conn: netpol.Conn{Port: cp.Port, Protocol: cp.Protocol}, name: cp.Name})
			}
		}
		if len(out) == 0 {
			has := "it declares no named port"
			if len(declared) > 0 {
				has = "its ports: " + strings.Join(declared, ", ")
			}
			return nil, fmt.Errorf("--port %s: %s declares no port of that name (%s)", p.name, to, has)
		}
		return out, nil
	}
	// Every declared port, once each.
	var out []reachConn
	seen := map[netpol.Conn]bool{}
	if !to.External() {
		for _, cp := range to.Workload.Ports {
			c := netpol.Conn{Port: cp.Port, Protocol: cp.Protocol}
			if !seen[c] {
				seen[c] = true
				out = append(out, reachConn{conn: c, name: cp.Name})
			}
		}
	}
	if len(out) == 0 {
		out = []reachConn{{conn: netpol.Conn{Protocol: netpol.TCP}}}
	}
	return out, nil
}

func reachDeclared(cp netpol.ContainerPort) string {
	s := strconv.Itoa(int(cp.Port)) + "/" + cp.Protocol
	if cp.Name != "" {
		s = cp.Name + " " + s
	}
	return s
}

func reachPair(m *netpol.Model, from, to netpol.Endpoint, c reachConn) ReachPair {
	d := m.Reach(from, to, c.conn)
	p := ReachPair{From: from.String(), To: to.String(), Port: c.conn.Port, PortName: c.name, Protocol: c.conn.Protocol,
		Allowed: d.Allowed, NoCommonPort: d.NoCommonPort}
	p.Egress = reachSide(&d.Egress, true, to, c.conn)
	p.Ingress = reachSide(&d.Ingress, false, to, c.conn)
	return p
}

func reachSide(s *netpol.Side, egress bool, dst netpol.Endpoint, c netpol.Conn) ReachSide {
	out := ReachSide{Allowed: s.Allowed, Outside: !s.Governed, HostNetwork: s.HostNetwork, Isolated: s.Isolated,
		Policies: []finding.ObjectRef{}, AllowedBy: []ReachRule{}}
	for _, p := range s.Selecting {
		out.Policies = append(out.Policies, p.Ref)
	}
	for _, r := range s.Allowing {
		out.AllowedBy = append(out.AllowedBy, ReachRule{Policy: r.Policy.Ref, Rule: r.Rule + 1, Text: r.Get(egress).Describe(egress)})
	}
	if c.Port == 0 && s.Isolated {
		for _, pr := range netpol.AllowedPorts(s, egress, dst, c.Protocol) {
			out.Ports = append(out.Ports, pr.String())
		}
	}
	return out
}

// WriteTable prints each verdict and its explanation.
func (a *ReachAnswer) WriteTable(w io.Writer) error {
	var b strings.Builder
	for i, p := range a.Pairs {
		if i > 0 {
			b.WriteString("\n")
		}
		verdict := "DENIED "
		if p.Allowed {
			verdict = "ALLOWED"
		}
		fmt.Fprintf(&b, "%s  %s -> %s  %s\n", verdict, answerSafe(p.From), answerSafe(p.To), p.portText())
		reachWriteSide(&b, "egress", p.From, &p.Egress, true)
		reachWriteSide(&b, "ingress", p.To, &p.Ingress, false)
		if p.NoCommonPort {
			fmt.Fprintf(&b, "  no %s port is allowed by both sides: egress allows %s; ingress allows %s\n", p.Protocol,
				strings.Join(p.Egress.Ports, ", "), strings.Join(p.Ingress.Ports, ", "))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// portText is "5432/TCP", "8080/TCP (http)" or "some TCP port".
func (p *ReachPair) portText() string {
	if p.Port == 0 {
		return "some " + p.Protocol + " port"
	}
	s := strconv.Itoa(int(p.Port)) + "/" + p.Protocol
	if p.PortName != "" {
		s += " (" + answerSafe(p.PortName) + ")"
	}
	return s
}

func reachWriteSide(b *strings.Builder, dir, who string, s *ReachSide, egress bool) {
	fmt.Fprintf(b, "  %s of %s: ", dir, answerSafe(who))
	all := "every source is allowed"
	if egress {
		all = "every destination is allowed"
	}
	switch {
	case s.Outside:
		b.WriteString("outside the cluster: no NetworkPolicy of the cluster applies\n")
		return
	case s.HostNetwork:
		b.WriteString("the pod uses its node's network, which NetworkPolicy does not govern: " + all + "\n")
		return
	case !s.Isolated:
		b.WriteString("not isolated (no NetworkPolicy selects it for " + dir + "): " + all + "\n")
		return
	}
	names := make([]string, len(s.Policies))
	for i, r := range s.Policies {
		names[i] = "NetworkPolicy " + r.Namespace + "/" + r.Name
	}
	b.WriteString("isolated by " + answerSafe(strings.Join(names, ", ")))
	if len(s.AllowedBy) == 0 {
		b.WriteString("; no rule allows it\n")
		return
	}
	b.WriteString("\n")
	for _, r := range s.AllowedBy {
		fmt.Fprintf(b, "    allowed by NetworkPolicy %s/%s %s rule %d: %s\n", answerSafe(r.Policy.Namespace), answerSafe(r.Policy.Name),
			dir, r.Rule, answerSafe(r.Text))
	}
}

// answerSafe keeps text from the input from driving the terminal: control
// and bidirectional-override characters are escaped.
func answerSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
