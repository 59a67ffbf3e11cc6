package netgen_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/kharden/kharden/pkg/analysis/netpol"
	"github.com/kharden/kharden/pkg/analysis/netpol/netgen"
)

func TestGenerateIsDeterministic(t *testing.T) {
	size := netgen.Size{Namespaces: 5, Pods: 40, Policies: 20}
	a, b := netgen.Generate(7, size), netgen.Generate(7, size)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different networks")
	}
	if reflect.DeepEqual(a, netgen.Generate(8, size)) {
		t.Fatal("different seeds, same network")
	}
	if got, want := len(a), 5+40+20; got != want {
		t.Fatalf("%d objects, want %d", got, want)
	}
}

// One more policy leaves the rest of the network as it was: property
// tests rely on it to compare a network with and without a policy.
func TestGeneratePolicyIsAnExtension(t *testing.T) {
	small := netgen.Generate(3, netgen.Size{Namespaces: 4, Pods: 10, Policies: 6})
	big := netgen.Generate(3, netgen.Size{Namespaces: 4, Pods: 10, Policies: 7})
	want := append(small, netgen.Policy(3, 4, 6))
	if !reflect.DeepEqual(big, want) {
		t.Fatal("Generate with one more policy is not Generate plus Policy")
	}
}

// Generated objects are valid input: the model reads them without a
// problem, and every feature the generator promises shows up.
func TestGenerateCoversTheSemantics(t *testing.T) {
	seen := map[string]int{}
	for seed := int64(0); seed < 40; seed++ {
		objs := netgen.Generate(seed, netgen.Size{Namespaces: 6, Pods: 30, Policies: 25})
		inv, err := netgen.Inventory(objs)
		if err != nil {
			t.Fatal(err)
		}
		m := netpol.Build(inv)
		for _, p := range m.Problems {
			t.Errorf("seed %d: %s", seed, p)
		}
		for _, w := range m.Workloads {
			if w.HostNetwork {
				seen["hostNetwork"]++
			}
			if len(w.Labels) == 0 {
				seen["unlabelled pod"]++
			}
			for _, cp := range w.Ports {
				seen["container port "+cp.Protocol]++
				if cp.Name == "" {
					seen["unnamed container port"]++
				}
			}
		}
		for _, p := range m.Policies {
			countPolicy(seen, p)
		}
	}
	for _, feature := range []string{
		"hostNetwork", "unlabelled pod", "container port TCP", "container port UDP", "container port SCTP", "unnamed container port",
		"ingress only", "egress only", "both types", "isolating without rules", "rule every peer", "rule every port",
		"pod peer", "namespace peer", "pod and namespace peer", "ipBlock v4", "ipBlock v6", "ipBlock except",
		"numeric port", "named port", "port range", "protocol only", "UDP rule", "SCTP rule",
	} {
		if seen[feature] == 0 {
			t.Errorf("no %s generated in 40 seeds", feature)
		}
	}
}

func countPolicy(seen map[string]int, p *netpol.Policy) {
	switch {
	case p.Ingress && p.Egress:
		seen["both types"]++
	case p.Ingress:
		seen["ingress only"]++
	case p.Egress:
		seen["egress only"]++
	}
	if (p.Ingress && len(p.IngressRules) == 0) || (p.Egress && len(p.EgressRules) == 0) {
		seen["isolating without rules"]++
	}
	for _, r := range append(append([]netpol.Rule(nil), p.IngressRules...), p.EgressRules...) {
		if r.Peers == nil {
			seen["rule every peer"]++
		}
		if r.Ports == nil {
			seen["rule every port"]++
		}
		for _, peer := range r.Peers {
			switch {
			case peer.IPBlock != nil:
				if peer.IPBlock.CIDR.Addr().Is4() {
					seen["ipBlock v4"]++
				} else {
					seen["ipBlock v6"]++
				}
				if len(peer.IPBlock.Except) > 0 {
					seen["ipBlock except"]++
				}
			case peer.PodSelector != nil && peer.NamespaceSelector != nil:
				seen["pod and namespace peer"]++
			case peer.PodSelector != nil:
				seen["pod peer"]++
			default:
				seen["namespace peer"]++
			}
		}
		for _, pr := range r.Ports {
			switch {
			case pr.EndPort != nil:
				seen["port range"]++
			case pr.Named != "":
				seen["named port"]++
			case pr.Port != nil:
				seen["numeric port"]++
			default:
				seen["protocol only"]++
			}
			if pr.Protocol != netpol.TCP {
				seen[pr.Protocol+" rule"]++
			}
		}
	}
}

// The benchmark cluster must be quick to make: well under a second on an
// idle machine it takes about a tenth of one.
func TestGenerateBenchmarkSize(t *testing.T) {
	start := time.Now()
	objs := netgen.Generate(1, netgen.Benchmark)
	took := time.Since(start)
	if got, want := len(objs), 500+10_000+2_000; got != want {
		t.Fatalf("%d objects, want %d", got, want)
	}
	if took > time.Second {
		t.Errorf("generating the benchmark cluster took %v", took)
	}
	t.Logf("generated %d objects in %v", len(objs), took)
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		netgen.Generate(1, netgen.Benchmark)
	}
}

func BenchmarkGenerateAndInventory(b *testing.B) {
	for b.Loop() {
		if _, err := netgen.Inventory(netgen.Generate(1, netgen.Benchmark)); err != nil {
			b.Fatal(err)
		}
	}
}
