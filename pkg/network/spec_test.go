package network

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSpecErrors(t *testing.T) {
	cases := []struct {
		name, spec, want string
	}{
		{"empty", "", "s.yaml: the spec is empty"},
		{"comments only", "# nothing\n", "s.yaml: the spec is empty"},
		{"not yaml", "defaultDeny: [\n", "s.yaml:1: not valid YAML"},
		{"two documents", "defaultDeny: {namespaces: [a]}\n---\nallowDNS: {namespaces: [a]}\n", "s.yaml:3: a spec is one YAML document"},
		{"not a mapping", "- a\n", "s.yaml:1: want a mapping, got a list"},
		{"no section", "apiVersion: kharden.dev/v1alpha1\n", "s.yaml:1: no section"},
		{"unknown top key", "defaultDeny: {namespaces: [a]}\nallowDns: {}\n", `s.yaml:2: unknown field "allowDns" (did you mean "allowDNS"?)`},
		{"wrong apiVersion", "apiVersion: v1\ndefaultDeny: {namespaces: [a]}\n", `s.yaml:1: apiVersion: want "kharden.dev/v1alpha1"`},
		{"wrong kind", "kind: NetworkPolicy\ndefaultDeny: {namespaces: [a]}\n", `s.yaml:1: kind: want "NetworkPolicySpec"`},
		{"repeated key", "defaultDeny:\n  namespaces: [a]\n  namespaces: [b]\n", "s.yaml:3: defaultDeny.namespaces: written twice"},
		{"no namespaces", "defaultDeny:\n  directions: both\n", "s.yaml:2: defaultDeny: name the namespaces"},
		{"bad namespace", "defaultDeny:\n  namespaces:\n  - Shop_1\n", `s.yaml:3: defaultDeny.namespaces[0]: "Shop_1" is not a namespace name`},
		{"number namespace", "defaultDeny:\n  namespaces: [12]\n", "s.yaml:2: defaultDeny.namespaces[0]: want a string, got a number"},
		{"bad direction", "defaultDeny:\n  namespaces: [a]\n  directions: sideways\n", `s.yaml:3: defaultDeny.directions: unknown direction "sideways"`},
		{"bad selector operator", "defaultDeny:\n  namespaceSelector:\n    matchExpressions:\n    - {key: env, operator: Near, values: [x]}\n",
			`s.yaml:3: defaultDeny.namespaceSelector: Invalid value: "Near"`},
		{"bad label value", "allowDNS:\n  namespaces: [a]\n  dns:\n    namespace: kube-system\n    labels: {k8s-app: \"a b\"}\n",
			"s.yaml:5: allowDNS.dns.labels: Invalid value"},
		{"boolean label", "allowDNS:\n  namespaces: [a]\n  dns: {namespace: kube-system, labels: {enabled: true}}\n",
			"s.yaml:3: allowDNS.dns.labels.enabled: want a string or a number, got a boolean"},
		{"labels and podSelector", "allowDNS:\n  namespaces: [a]\n  dns: {namespace: k, labels: {a: b}, podSelector: {}}\n", "s.yaml:3: allowDNS.dns: write labels or podSelector, not both"},
		{"app without namespace", "allowFromIngress:\n  apps:\n  - app: {labels: {app: web}}\n    ports: [80]\n", "s.yaml:3: allowFromIngress.apps[0].app: namespace is required"},
		{"bad ref", "allowFromIngress:\n  apps:\n  - app: web\n    ports: [80]\n", `s.yaml:3: allowFromIngress.apps[0].app: "web": write NAMESPACE/NAME`},
		{"app is a list", "allowFromIngress:\n  apps:\n  - app: [a]\n    ports: [80]\n", "s.yaml:3: allowFromIngress.apps[0].app: want NAMESPACE/NAME or a mapping"},
		{"no apps", "allowFromIngress:\n  controller: {namespace: x}\n", "s.yaml:2: allowFromIngress: apps is required"},
		{"no ports", "allowFromIngress:\n  apps:\n  - app: shop/web\n", "s.yaml:3: allowFromIngress.apps[0]: ports is required"},
		{"empty ports", "allowTo:\n- from: a/b\n  to: c/d\n  ports: []\n", "s.yaml:4: allowTo[0].ports: list at least one port"},
		{"port zero", "allowTo:\n- from: a/b\n  to: c/d\n  ports: [0]\n", `s.yaml:4: allowTo[0].ports[0]: port "0": 0 is not a port number`},
		{"port too big", "allowTo:\n- from: a/b\n  to: c/d\n  ports:\n  - 70000\n", `s.yaml:5: allowTo[0].ports[0]: port "70000"`},
		{"bad protocol", "allowTo:\n- from: a/b\n  to: c/d\n  ports: [53/ICMP]\n", `unknown protocol "ICMP"`},
		{"reversed range", "allowTo:\n- from: a/b\n  to: c/d\n  ports: [9000-8000]\n", "the range ends before it starts"},
		{"bad port name", "allowTo:\n- from: a/b\n  to: c/d\n  ports: [http_port]\n", `port "http_port": not a number, a range or a port name`},
		{"float port", "allowTo:\n- from: a/b\n  to: c/d\n  ports: [80.5]\n", "s.yaml:4: allowTo[0].ports[0]: want a string or a number, got a number"},
		{"missing to", "allowTo:\n- from: a/b\n  ports: [80]\n", "s.yaml:2: allowTo[0]: to is required"},
		{"bad sides", "allowTo:\n- from: a/b\n  to: c/d\n  ports: [80]\n  sides: left\n", `s.yaml:5: allowTo[0].sides: unknown sides "left"`},
		{"allowTo not a list", "allowTo: {from: a/b}\n", "s.yaml:1: allowTo: want a list, got a mapping"},
		{"app and namespace", "egressAllowlist:\n- app: a/b\n  namespace: a\n  allow: []\n", "s.yaml:2: egressAllowlist[0]: write app (some pods) or namespace"},
		{"no allow", "egressAllowlist:\n- namespace: a\n", "s.yaml:2: egressAllowlist[0]: allow is required"},
		{"cidr and to", "egressAllowlist:\n- namespace: a\n  allow:\n  - {cidr: 10.0.0.0/8, to: a/b}\n", "s.yaml:4: egressAllowlist[0].allow[0]: write cidr"},
		{"host bits", "egressAllowlist:\n- namespace: a\n  allow:\n  - cidr: 10.1.2.3/8\n", `s.yaml:4: egressAllowlist[0].allow[0].cidr: "10.1.2.3/8" is not a network address: did you mean 10.0.0.0/8?`},
		{"not a cidr", "egressAllowlist:\n- namespace: a\n  allow:\n  - cidr: 10.0.0.0/33\n", `"10.0.0.0/33" is not a CIDR`},
		{"except outside", "egressAllowlist:\n- namespace: a\n  allow:\n  - cidr: 10.0.0.0/8\n    except:\n    - 11.0.0.0/8\n",
			"s.yaml:6: egressAllowlist[0].allow[0].except[0]: 11.0.0.0/8 is not strictly inside 10.0.0.0/8"},
		{"except equal", "egressAllowlist:\n- namespace: a\n  allow:\n  - cidr: 10.0.0.0/8\n    except: [10.0.0.0/8]\n", "is not strictly inside"},
		{"except other family", "egressAllowlist:\n- namespace: a\n  allow:\n  - cidr: 0.0.0.0/0\n    except: ['::/0']\n", "is not strictly inside"},
		{"except with to", "egressAllowlist:\n- namespace: a\n  allow:\n  - to: a/b\n    except: [10.0.0.0/8]\n", "s.yaml:5: egressAllowlist[0].allow[0].except: except goes with cidr"},
		{"merge key", "base: &b {namespaces: [a]}\n", `unknown field "base"`},
		{"merge key inside", "defaultDeny:\n  <<: {namespaces: [a]}\n", "keys must be plain names"},
		{"bad app name", "allowDNS:\n  namespaces: [a]\n  dns: {namespace: k, name: Kube_DNS}\n", `s.yaml:3: allowDNS.dns.name: "Kube_DNS"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseSpec("s.yaml", []byte(c.spec))
			if err == nil {
				t.Fatalf("no error for:\n%s", c.spec)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q\nwant it to contain %q", err, c.want)
			}
		})
	}
}

func TestParseSpecTooLarge(t *testing.T) {
	_, err := ParseSpec("big.yaml", make([]byte, MaxSpecBytes+1))
	if err == nil || !strings.Contains(err.Error(), "big.yaml: larger than") {
		t.Errorf("got %v", err)
	}
}

func TestParseSpecValues(t *testing.T) {
	s, err := ParseSpec("s.yaml", []byte(`
defaultDeny:
  namespaces: [a, b]
  directions: egress
allowDNS:
  namespaceSelector: {matchLabels: {env: prod}}
allowTo:
- from: shop/Deployment/web
  to: {namespace: shop, podSelector: {matchExpressions: [{key: app, operator: Exists}]}}
  ports: [5432, "53/udp", http, 8000-8080/SCTP, 7-7]
  sides: egress
egressAllowlist:
- namespace: dev
  allow:
  - cidr: 1.2.3.4
  - cidr: "2001:db8::/32"
    except: ["2001:db8::1"]
    ports: [443]
`))
	if err != nil {
		t.Fatal(err)
	}
	if s.DefaultDeny.Direction != DirectionEgress || len(s.DefaultDeny.Namespaces.Names) != 2 || s.DefaultDeny.Line != 3 {
		t.Errorf("defaultDeny %+v", s.DefaultDeny)
	}
	if s.AllowDNS.DNS.Namespace != "kube-system" || s.AllowDNS.Namespaces.Selector.MatchLabels["env"] != "prod" {
		t.Errorf("allowDNS %+v", s.AllowDNS)
	}
	a := s.AllowTo[0]
	if a.From.Ref != "shop/Deployment/web" || a.Sides != SidesEgress || len(a.To.Selector.MatchExpressions) != 1 {
		t.Errorf("allowTo %+v", a)
	}
	var ports []string
	for _, p := range a.Ports {
		ports = append(ports, p.String())
	}
	if got := strings.Join(ports, " "); got != "5432/TCP 53/UDP http/TCP 8000-8080/SCTP 7/TCP" {
		t.Errorf("ports %s", got)
	}
	e := s.EgressAllowlist[0]
	if e.App.Namespace != "dev" || e.App.Selector == nil || e.Allow[0].CIDR.CIDR.String() != "1.2.3.4/32" ||
		e.Allow[1].CIDR.Except[0].String() != "2001:db8::1/128" || e.Allow[0].Ports != nil {
		t.Errorf("egressAllowlist %+v", e)
	}
}

// TestSpecExamplesParse: every spec under testdata/generate parses.
func TestSpecExamplesParse(t *testing.T) {
	files, _ := filepath.Glob("testdata/generate/*.yaml")
	n := 0
	for _, f := range files {
		if filepath.Base(f) == "existing.yaml" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseSpec(f, data); err != nil {
			t.Error(err)
		}
		n++
	}
	if n < 6 {
		t.Errorf("only %d specs found", n)
	}
}

// TestDocsExamples: the spec and the annotation docs/network.md shows are
// valid, and the spec generates against the fixture.
func TestDocsExamples(t *testing.T) {
	data, err := os.ReadFile("../../docs/network.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	start := strings.Index(doc, "```yaml\napiVersion: kharden.dev/v1alpha1")
	if start < 0 {
		t.Fatal("no spec example in docs/network.md")
	}
	body := doc[start+len("```yaml\n"):]
	body = body[:strings.Index(body, "```")]
	spec, err := ParseSpec("docs/network.md", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Generate(KindAll, spec, loadInventory(t, fixture))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Policies) < 10 {
		t.Errorf("the docs' spec makes %d policies", len(res.Policies))
	}
	i := strings.Index(doc, `kharden.dev/depends-on: "`)
	if i < 0 {
		t.Fatal("no depends-on example in docs/network.md")
	}
	value := doc[i+len(`kharden.dev/depends-on: "`):]
	value = value[:strings.Index(value, `"`)]
	if deps, err := ParseDependsOn(value); err != nil || len(deps) != 4 {
		t.Errorf("docs' depends-on %q: %v %v", value, deps, err)
	}
}
