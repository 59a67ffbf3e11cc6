package network

import (
	"bytes"
	"context"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/analysis/netpol"
	"github.com/kharden/kharden/pkg/inventory"
)

var updateGenerate = flag.Bool("update-generate", false, "rewrite the golden files of netpol generate and plan")

// fixture is the cluster the generate and plan tests read.
const fixture = "testdata/plan/cluster.yaml"

// fixtureSecret is the value of the Secret in the fixture: no output may
// contain it.
const fixtureSecret = "kh-NETPOL-SECRET-1f2e"

func loadInventory(t testing.TB, paths ...string) *inventory.Inventory {
	t.Helper()
	inv, err := inventory.Load(context.Background(), inventory.LoadOptions{Paths: paths})
	if err != nil {
		t.Fatal(err)
	}
	if errs := inv.Errors(); len(errs) > 0 {
		t.Fatal(errs)
	}
	return inv
}

func loadSpec(t testing.TB, path string) *Spec {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSpec(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// golden compares got with a golden file, or rewrites it with
// -update-generate.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *updateGenerate {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update-generate)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update-generate to accept):\n%s", path, diffLines(string(want), string(got)))
	}
}

// diffLines shows the first lines that differ.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl + "\n")
			if shown++; shown == 5 {
				break
			}
		}
	}
	return b.String()
}

func generateYAML(t *testing.T, kind Kind, specPath string, inv *inventory.Inventory) ([]byte, *GenerateResult) {
	t.Helper()
	res, err := Generate(kind, loadSpec(t, specPath), inv)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteYAML(&buf, []string{"golden: " + string(kind) + " from " + filepath.Base(specPath)}, PolicyDocs(res.Policies)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), res
}

// TestGenerateGolden generates every kind from its spec (names resolved
// against the fixture) and compares with the golden YAML; the output must
// read back as the same policies with no problem.
func TestGenerateGolden(t *testing.T) {
	inv := loadInventory(t, fixture)
	cases := []struct {
		kind Kind
		spec string
		inv  *inventory.Inventory
		want int
	}{
		{KindDefaultDeny, "default-deny.yaml", inv, 2},
		{KindAllowDNS, "allow-dns.yaml", inv, 3},
		{KindAllowFromIngress, "allow-from-ingress.yaml", inv, 2},
		{KindAllowTo, "allow-to.yaml", inv, 4},
		{KindEgressAllowlist, "egress-allowlist.yaml", inv, 3},
		{KindAll, "all.yaml", nil, 8},
	}
	for _, c := range cases {
		t.Run(string(c.kind), func(t *testing.T) {
			out, res := generateYAML(t, c.kind, filepath.Join("testdata/generate", c.spec), c.inv)
			golden(t, filepath.Join("testdata/generate/golden", string(c.kind)+".yaml"), out)
			if len(res.Policies) != c.want {
				t.Errorf("want %d policies, got %d", c.want, len(res.Policies))
			}
			for _, w := range res.Warnings {
				t.Errorf("unexpected warning: %s", w)
			}
			objs, diags := inventory.ParseDocuments("generated.yaml", out, inventory.OriginFile)
			if len(diags) > 0 {
				t.Fatalf("output does not parse: %v", diags)
			}
			if len(objs) != len(res.Policies) {
				t.Fatalf("%d documents for %d policies", len(objs), len(res.Policies))
			}
			var b inventory.Builder
			for _, o := range objs {
				b.Add(o)
			}
			m := netpol.Build(b.Build())
			for _, p := range m.Problems {
				t.Errorf("the model reads the output with a problem: %s", p)
			}
			if again, _ := generateYAML(t, c.kind, filepath.Join("testdata/generate", c.spec), c.inv); !bytes.Equal(again, out) {
				t.Error("two runs gave different output")
			}
		})
	}
}

func TestGenerateResolvesWorkloadSelector(t *testing.T) {
	inv := loadInventory(t, fixture)
	spec := &Spec{File: "s.yaml", AllowTo: []AllowToSpec{{
		From: AppRef{Ref: "shop/web"}, To: AppRef{Ref: "shop/Deployment/db"}, Ports: []Port{{Protocol: "TCP", Number: 5432}}, Sides: SidesBoth}}}
	res, err := Generate(KindAllowTo, spec, inv)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Policies {
		sel := p.Object.Spec.PodSelector.MatchLabels
		if _, ok := sel["version"]; ok {
			t.Errorf("%s selects by the template's version label, not the Deployment's selector: %v", p.Name(), sel)
		}
	}
	// A name refers to the input: without it the spec cannot be resolved.
	if _, err := Generate(KindAllowTo, spec, nil); err == nil || !strings.Contains(err.Error(), "--inventory") {
		t.Errorf("want an error asking for the input, got %v", err)
	}
	spec.AllowTo[0].From = AppRef{Ref: "shop/nothing", Pos: Pos{File: "s.yaml", Line: 3, Path: "allowTo[0].from"}}
	if _, err := Generate(KindAllowTo, spec, inv); err == nil || !strings.Contains(err.Error(), "s.yaml:3: allowTo[0].from") {
		t.Errorf("want a located error for an unknown workload, got %v", err)
	}
}

func TestGenerateMissingSection(t *testing.T) {
	spec := &Spec{File: "s.yaml", DefaultDeny: &DefaultDenySpec{Namespaces: NamespaceSet{Names: []string{"a"}}, Direction: DirectionEgress}}
	if _, err := Generate(KindAllowDNS, spec, nil); err == nil || !strings.Contains(err.Error(), "no allowDNS section") {
		t.Errorf("got %v", err)
	}
	if _, err := Generate("nonsense", spec, nil); err == nil || !strings.Contains(err.Error(), "unknown generator") {
		t.Errorf("got %v", err)
	}
	res, err := Generate(KindDefaultDeny, spec, nil)
	if err != nil || len(res.Policies) != 1 || res.Policies[0].Object.Name != "default-deny-egress" {
		t.Fatalf("got %v %v", res, err)
	}
	if pt := res.Policies[0].Object.Spec.PolicyTypes; len(pt) != 1 || pt[0] != "Egress" {
		t.Errorf("policyTypes %v", pt)
	}
}

func TestGenerateNameClashes(t *testing.T) {
	inv := loadInventory(t, fixture, "testdata/generate/existing.yaml")
	// payments/default-deny is the user's: applying a policy of that name
	// would replace it. payments/allow-dns is kharden's: same name, an update.
	spec := &Spec{File: "s.yaml",
		DefaultDeny: &DefaultDenySpec{Namespaces: NamespaceSet{Names: []string{"payments"}}, Direction: DirectionBoth},
		AllowDNS:    &AllowDNSSpec{Namespaces: NamespaceSet{Names: []string{"payments"}}, DNS: DefaultDNS},
		AllowTo: []AllowToSpec{
			{From: AppRef{Namespace: "shop", Name: "web"}, To: AppRef{Ref: "payments/api"}, Ports: []Port{{Protocol: "TCP", Number: 1}}, Sides: SidesIngress},
			{From: AppRef{Namespace: "shop", Name: "web"}, To: AppRef{Ref: "payments/api"}, Ports: []Port{{Protocol: "TCP", Number: 2}}, Sides: SidesIngress},
			// An exact repeat is dropped.
			{From: AppRef{Namespace: "shop", Name: "web"}, To: AppRef{Ref: "payments/api"}, Ports: []Port{{Protocol: "TCP", Number: 2}}, Sides: SidesIngress},
		}}
	res, err := Generate(KindAll, spec, inv)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range res.Policies {
		names = append(names, p.Name())
	}
	want := "payments/default-deny-kharden payments/allow-dns payments/allow-api-from-shop-web payments/allow-api-from-shop-web-2"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("names:\n got %s\nwant %s", got, want)
	}
	found := false
	for _, w := range res.Warnings {
		found = found || strings.Contains(w, "payments/default-deny exists in the input")
	}
	if !found {
		t.Errorf("no warning about the clash: %v", res.Warnings)
	}
}

func TestMetadataExcepts(t *testing.T) {
	cases := []struct{ cidr, want string }{
		{"0.0.0.0/0", "0.0.0.0/0 except 169.254.169.254/32, 100.100.100.200/32"},
		{"169.254.0.0/16", "169.254.0.0/16 except 169.254.169.254/32"},
		{"169.254.169.254/32", "169.254.169.254/32"},
		{"10.0.0.0/8", "10.0.0.0/8"},
		{"::/0", "::/0 except fd00:ec2::254/128"},
		{"fd00:ec2::254/128", "fd00:ec2::254/128"},
	}
	for _, c := range cases {
		p, err := ParseCIDR(c.cidr)
		if err != nil {
			t.Fatal(err)
		}
		if got := describeCIDR(withMetadataExcepts(CIDRSpec{CIDR: p})); got != c.want {
			t.Errorf("%s: got %s want %s", c.cidr, got, c.want)
		}
	}
	// An except already covering the endpoint is not repeated.
	p, _ := ParseCIDR("169.254.0.0/16")
	e, _ := ParseCIDR("169.254.169.0/24")
	if got := describeCIDR(withMetadataExcepts(CIDRSpec{CIDR: p, Except: []netip.Prefix{e}})); got != "169.254.0.0/16 except 169.254.169.0/24" {
		t.Errorf("got %s", got)
	}
}

func TestPolicyNames(t *testing.T) {
	cases := map[string][]string{
		"allow-web-to-db": {"allow", "web", "to", "db"},
		"allow-a-b-c":     {"allow", "A_b..c"},
		"policy":          {"--", ""},
	}
	for want, parts := range cases {
		if got := policyName(parts...); got != want {
			t.Errorf("policyName(%q) = %q want %q", parts, got, want)
		}
	}
	long := policyName(strings.Repeat("x", 300))
	if len(long) > maxNameLength || long == policyName(strings.Repeat("x", 299)) {
		t.Errorf("long names: %q", long)
	}
}
