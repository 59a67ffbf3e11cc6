package network

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"unicode"

	"github.com/kharden/kharden/pkg/analysis/netpol"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

const reachSmoke = "../analysis/netpol/testdata/smoke.yaml"

func reachModel(t testing.TB, path string) *netpol.Model {
	t.Helper()
	inv, err := inventory.Load(context.Background(), inventory.LoadOptions{Paths: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	return netpol.Build(inv)
}

func TestParseReachPort(t *testing.T) {
	cases := []struct {
		in   string
		want reachPort
		err  string
	}{
		{"", reachPort{protocol: "TCP"}, ""},
		{"443", reachPort{given: true, number: 443, protocol: "TCP"}, ""},
		{"53/udp", reachPort{given: true, number: 53, protocol: "UDP", protoGiven: true}, ""},
		{"http", reachPort{given: true, name: "http", protocol: "TCP"}, ""},
		{"dns/UDP", reachPort{given: true, name: "dns", protocol: "UDP", protoGiven: true}, ""},
		{"any/SCTP", reachPort{given: true, any: true, protocol: "SCTP", protoGiven: true}, ""},
		{"*", reachPort{given: true, any: true, protocol: "TCP"}, ""},
		{"0/UDP", reachPort{given: true, any: true, protocol: "UDP", protoGiven: true}, ""},
		{"70000", reachPort{}, "not a port number (1-65535)"},
		{"80/ICMP", reachPort{}, `unknown protocol "ICMP"`},
		{"/TCP", reachPort{}, "no port before the protocol"},
		{"Bad_Name", reachPort{}, "not a port number or a port name"},
		{"averyveryverylongname", reachPort{}, "not a port number or a port name"},
	}
	for _, c := range cases {
		got, err := parseReachPort(c.in)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: error %v, want %q", c.in, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("%q: %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

// TestReachDeclaredPorts: without --port every declared port of the
// destination is asked; a destination declaring none, and an address,
// get some TCP port.
func TestReachDeclaredPorts(t *testing.T) {
	m := reachModel(t, reachSmoke)
	for _, c := range []struct {
		from, to string
		want     []string // port/protocol allowed
	}{
		{"shop/web", "shop/db", []string{"5432/TCP true"}},
		{"shop/db", "monitoring/prometheus", []string{"0/TCP false"}},
		{"monitoring/prometheus", "ip:1.1.1.1", []string{"0/TCP true"}},
		{"ip:1.1.1.1", "shop/Deployment/web", []string{"8080/TCP false"}},
	} {
		a, err := Reach(m, ReachQuestion{From: c.from, To: c.to})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range a.Pairs {
			got = append(got, strings.Join([]string{itoa(p.Port) + "/" + p.Protocol, boolText(p.Allowed)}, " "))
		}
		if strings.Join(got, ";") != strings.Join(c.want, ";") {
			t.Errorf("%s -> %s: %v, want %v", c.from, c.to, got, c.want)
		}
	}
}

func itoa(n int32) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// TestAnswersEscapeInput: names from the input cannot drive the
// terminal, in any of the three tables.
func TestAnswersEscapeInput(t *testing.T) {
	bad := "x\x1b[2J\u202e\u0085"
	b := &inventory.Builder{}
	for _, o := range []map[string]any{
		{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "web" + bad, "namespace": "shop", "labels": map[string]any{"app": "web"}},
			"spec": map[string]any{"containers": []any{map[string]any{"name": "c", "image": "x",
				"ports": []any{map[string]any{"name": "h" + bad, "containerPort": int64(80)}}}}}},
		{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": map[string]any{"name": "p" + bad, "namespace": "shop"},
			"spec": map[string]any{"podSelector": map[string]any{}, "ingress": []any{map[string]any{"ports": []any{map[string]any{"port": "h" + bad}}}}}},
	} {
		obj, err := inventory.NewObject(o, inventory.OriginFile, finding.Source{File: "x.yaml"})
		if err != nil {
			t.Fatal(err)
		}
		b.Add(obj)
	}
	inv := b.Build()
	m := netpol.For(inv)
	a, err := Reach(m, ReachQuestion{From: "shop/web" + bad, To: "shop/web" + bad, Port: "any/TCP"})
	if err != nil {
		t.Fatal(err)
	}
	mx, err := BuildMatrix(netpol.SummaryFor(inv), "")
	if err != nil {
		t.Fatal(err)
	}
	cov, err := BuildCoverage(netpol.SummaryFor(inv), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []interface{ WriteTable(w io.Writer) error }{a, mx, cov} {
		var out bytes.Buffer
		if err := v.WriteTable(&out); err != nil {
			t.Fatal(err)
		}
		for _, r := range out.String() {
			if (r != '\n' && unicode.IsControl(r)) || unicode.Is(unicode.Bidi_Control, r) {
				t.Fatalf("%T table holds %U:\n%q", v, r, out.String())
			}
		}
		if _, err := json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzReachQuestion: any question on the smoke cluster is answered or
// refused with an error, never a panic, and the answer renders.
func FuzzReachQuestion(f *testing.F) {
	for _, q := range [][3]string{
		{"shop/web", "shop/db", ""}, {"shop/web", "shop/db", "pg"}, {"shop/Deployment/web", "ip:1.1.1.1", "443/udp"},
		{"ip:::1", "shop/db", "any/SCTP"}, {"monitoring/prometheus", "shop/web", "http/TCP"}, {"a/b/c/d", "ip:x", "0"},
		{"shop/", "/web", "/"}, {"ip:10.0.0.1", "ip:10.0.0.2", "1"}, {"shop/web", "shop/db", "65536"},
	} {
		f.Add(q[0], q[1], q[2])
	}
	m := reachModel(f, reachSmoke)
	f.Fuzz(func(t *testing.T, from, to, port string) {
		a, err := Reach(m, ReachQuestion{From: from, To: to, Port: port})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if len(a.Pairs) == 0 {
			t.Fatal("an answer without a verdict")
		}
		var out bytes.Buffer
		if err := a.WriteTable(&out); err != nil {
			t.Fatal(err)
		}
		if _, err := json.Marshal(a); err != nil {
			t.Fatal(err)
		}
	})
}
