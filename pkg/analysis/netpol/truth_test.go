package netpol_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/analysis/netpol"
)

// The truth table: each file under testdata/truth is a small cluster
// (namespaces, workloads, NetworkPolicies) written from the Kubernetes
// NetworkPolicy specification, with the verdicts the specification gives
// in its leading comment block:
//
//	# expect: SRC -> DST PORT/PROTOCOL allow|deny
//	# problem: TEXT
//
// SRC and DST are endpoints as Model.Resolve reads them (NAMESPACE/NAME,
// NAMESPACE/KIND/NAME, ip:ADDRESS); PORT 0 asks for some port of the
// protocol. A problem line names text that one of the model's problems
// must contain; a case without problem lines must have none.

const truthDir = "testdata/truth"

// Minimums the suite must keep (it fails when cases go missing).
const (
	minTruthCases        = 70
	minTruthExpectations = 250
)

var truthName = regexp.MustCompile(`^[0-9]{2,3}-[a-z0-9]+(-[a-z0-9]+)*\.yaml$`)

type truthExpectation struct {
	line     int
	src, dst string
	conn     netpol.Conn
	allow    bool
}

func (e truthExpectation) String() string {
	return fmt.Sprintf("%s -> %s %d/%s", e.src, e.dst, e.conn.Port, e.conn.Protocol)
}

type truthCase struct {
	file     string
	expects  []truthExpectation
	problems []string
}

var truthDirective = regexp.MustCompile(`^#\s*(expect|problem)\s*:\s*(.*)$`)

// readTruthCase reads the directives of a case file: they must all sit in
// the leading comment block, so none is silently skipped.
func readTruthCase(path string) (truthCase, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return truthCase{}, err
	}
	tc := truthCase{file: path}
	leading := true
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			leading = false
			continue
		}
		m := truthDirective.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if !leading {
			return tc, fmt.Errorf("%s:%d: %s truthDirective after the leading comment block", path, n, m[1])
		}
		switch m[1] {
		case "problem":
			if m[2] == "" {
				return tc, fmt.Errorf("%s:%d: empty problem text", path, n)
			}
			tc.problems = append(tc.problems, m[2])
		case "expect":
			e, err := parseTruthExpectation(m[2])
			if err != nil {
				return tc, fmt.Errorf("%s:%d: %v", path, n, err)
			}
			e.line = n
			tc.expects = append(tc.expects, e)
		}
	}
	return tc, sc.Err()
}

func parseTruthExpectation(s string) (truthExpectation, error) {
	f := strings.Fields(s)
	if len(f) != 5 || f[1] != "->" {
		return truthExpectation{}, fmt.Errorf("want SRC -> DST PORT/PROTOCOL allow|deny, got %q", s)
	}
	e := truthExpectation{src: f[0], dst: f[2]}
	portText, proto, ok := strings.Cut(f[3], "/")
	if !ok {
		return e, fmt.Errorf("%q: want PORT/PROTOCOL", f[3])
	}
	port, err := strconv.ParseInt(portText, 10, 32)
	if err != nil || port < 0 || port > 65535 {
		return e, fmt.Errorf("%q: port must be 0-65535", portText)
	}
	switch proto {
	case netpol.TCP, netpol.UDP, netpol.SCTP:
	default:
		return e, fmt.Errorf("%q: protocol must be TCP, UDP or SCTP", proto)
	}
	e.conn = netpol.Conn{Port: int32(port), Protocol: proto}
	switch f[4] {
	case "allow":
		e.allow = true
	case "deny":
	default:
		return e, fmt.Errorf("%q: verdict must be allow or deny", f[4])
	}
	return e, nil
}

func truthCases(t *testing.T) []truthCase {
	t.Helper()
	entries, err := os.ReadDir(truthDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []truthCase
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		if !truthName.MatchString(e.Name()) {
			t.Errorf("%s: truth cases are named NN-short-name.yaml", e.Name())
			continue
		}
		tc, err := readTruthCase(filepath.Join(truthDir, e.Name()))
		if err != nil {
			t.Error(err)
			continue
		}
		out = append(out, tc)
	}
	return out
}

func TestTruthTable(t *testing.T) {
	for _, tc := range truthCases(t) {
		t.Run(strings.TrimSuffix(filepath.Base(tc.file), ".yaml"), func(t *testing.T) {
			m := model(t, tc.file)
			truthCheckProblems(t, tc, m)
			for _, e := range tc.expects {
				src := truthResolve(t, m, tc.file, e.line, e.src)
				dst := truthResolve(t, m, tc.file, e.line, e.dst)
				if src == nil || dst == nil {
					continue
				}
				d := m.Reach(*src, *dst, e.conn)
				if d.Allowed != e.allow {
					t.Errorf("%s:%d: %s: got %s, want %s\n  %s", tc.file, e.line, e, truthVerdict(d.Allowed), truthVerdict(e.allow), truthExplain(d))
				}
			}
		})
	}
}

// truthCheckProblems compares the model's problems with the case's, both ways.
func truthCheckProblems(t *testing.T, tc truthCase, m *netpol.Model) {
	t.Helper()
	matched := make([]bool, len(m.Problems))
	for _, want := range tc.problems {
		found := false
		for i, p := range m.Problems {
			if strings.Contains(p.String(), want) {
				matched[i], found = true, true
			}
		}
		if !found {
			t.Errorf("%s: no problem contains %q (problems: %v)", tc.file, want, m.Problems)
		}
	}
	for i, p := range m.Problems {
		if !matched[i] {
			t.Errorf("%s: unexpected problem: %s", tc.file, p)
		}
	}
}

func truthResolve(t *testing.T, m *netpol.Model, file string, line int, spec string) *netpol.Endpoint {
	t.Helper()
	eps, err := m.Resolve(spec)
	if err != nil {
		t.Errorf("%s:%d: %v", file, line, err)
		return nil
	}
	if len(eps) != 1 {
		t.Errorf("%s:%d: %s names %d endpoints; name one (NAMESPACE/KIND/NAME)", file, line, spec, len(eps))
		return nil
	}
	return &eps[0]
}

func truthVerdict(allowed bool) string {
	if allowed {
		return "allow"
	}
	return "deny"
}

// truthExplain renders a decision with the policies that selected each end and
// the rules that let the connection through.
func truthExplain(d netpol.Decision) string {
	s := fmt.Sprintf("decision %s; egress: %s; ingress: %s", truthVerdict(d.Allowed), truthExplainSide(d.Egress, "egress"), truthExplainSide(d.Ingress, "ingress"))
	if d.NoCommonPort {
		s += "; no port is allowed by both sides"
	}
	return s
}

func truthExplainSide(s netpol.Side, dir string) string {
	var b strings.Builder
	b.WriteString(truthVerdict(s.Allowed))
	switch {
	case !s.Governed:
		b.WriteString(" (outside the cluster)")
	case s.HostNetwork:
		b.WriteString(" (hostNetwork pod: not governed)")
	case !s.Isolated:
		b.WriteString(" (not isolated)")
	}
	if len(s.Selecting) > 0 {
		names := make([]string, len(s.Selecting))
		for i, p := range s.Selecting {
			names[i] = p.Ref.Namespace + "/" + p.Ref.Name
		}
		fmt.Fprintf(&b, " selected by [%s]", strings.Join(names, ", "))
	}
	if len(s.Allowing) > 0 {
		rules := make([]string, len(s.Allowing))
		for i, r := range s.Allowing {
			rules[i] = fmt.Sprintf("%s/%s %s[%d]", r.Policy.Ref.Namespace, r.Policy.Ref.Name, dir, r.Rule)
		}
		fmt.Fprintf(&b, " allowed by [%s]", strings.Join(rules, ", "))
	}
	return b.String()
}

// TestTruthTableSize keeps the suite from shrinking unnoticed: enough
// cases, enough expectations, none without one.
func TestTruthTableSize(t *testing.T) {
	cases := truthCases(t)
	total := 0
	for _, tc := range cases {
		if len(tc.expects) == 0 {
			t.Errorf("%s: no truthExpectation", tc.file)
		}
		total += len(tc.expects)
	}
	if len(cases) < minTruthCases {
		t.Errorf("%d truth cases, want at least %d", len(cases), minTruthCases)
	}
	if total < minTruthExpectations {
		t.Errorf("%d expectations, want at least %d", total, minTruthExpectations)
	}
}

func TestTruthParseExpectation(t *testing.T) {
	good := []struct {
		in   string
		want truthExpectation
	}{
		{"shop/web -> shop/db 5432/TCP allow", truthExpectation{src: "shop/web", dst: "shop/db", conn: netpol.Conn{Port: 5432, Protocol: "TCP"}, allow: true}},
		{"ip:fd00:ec2::254 -> a/Deployment/b 0/SCTP deny", truthExpectation{src: "ip:fd00:ec2::254", dst: "a/Deployment/b", conn: netpol.Conn{Protocol: "SCTP"}}},
	}
	for _, g := range good {
		got, err := parseTruthExpectation(g.in)
		if err != nil || got != g.want {
			t.Errorf("%q: got %+v, %v; want %+v", g.in, got, err, g.want)
		}
	}
	for _, bad := range []string{
		"", "a -> b", "a => b 80/TCP allow", "a -> b 80 allow", "a -> b 80/ICMP allow",
		"a -> b 70000/TCP allow", "a -> b -1/TCP deny", "a -> b x/TCP deny", "a -> b 80/TCP maybe", "a -> b 80/TCP allow extra",
	} {
		if _, err := parseTruthExpectation(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestTruthLateDirective(t *testing.T) {
	path := filepath.Join(t.TempDir(), "01-late.yaml")
	content := "# expect: a/b -> a/c 80/TCP allow\napiVersion: v1\n# expect: a/c -> a/b 80/TCP deny\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := readTruthCase(path)
	if err == nil || !strings.Contains(err.Error(), "01-late.yaml:3") {
		t.Fatalf("want an error naming line 3, got %v", err)
	}
}
