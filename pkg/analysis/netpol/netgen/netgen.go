// Package netgen generates random, reproducible networks — namespaces,
// workloads and NetworkPolicies as unstructured objects — for property
// tests and benchmarks of the netpol model. Labels, port names and
// addresses come from small vocabularies so that selectors, named ports
// and ipBlocks actually meet the pods and addresses generated.
//
// The same seed and size always give the same objects. Policy i of a
// network depends only on the seed, the number of namespaces and i, so a
// network with one more policy is the same network plus Policy(seed,
// namespaces, i): tests add a policy and compare.
package netgen

import (
	"fmt"
	"math/rand/v2"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// Size is how much to generate.
type Size struct {
	Namespaces int
	Pods       int // workloads: bare Pods and Deployments
	Policies   int
}

// Benchmark is the size of a large cluster that Generate must handle
// quickly.
var Benchmark = Size{Namespaces: 500, Pods: 10_000, Policies: 2_000}

// Stream identifiers keep the parts of a network independent of each
// other: changing the number of policies leaves pods alone.
const (
	streamWorkloads = 1
	streamPolicies  = 1 << 32
)

// Generate returns the objects of a random network: Namespaces first, then
// workloads, then NetworkPolicies. Namespaces are named ns0, ns1, ...;
// workloads w0, w1, ... spread over them (some namespaces may stay empty).
func Generate(seed int64, size Size) []map[string]any {
	if size.Namespaces < 1 {
		size.Namespaces = 1
	}
	out := make([]map[string]any, 0, size.Namespaces+size.Pods+size.Policies)
	r := rand.New(rand.NewPCG(uint64(seed), streamWorkloads))
	for i := range size.Namespaces {
		out = append(out, namespace(r, i))
	}
	for i := range size.Pods {
		out = append(out, workload(r, i, size.Namespaces))
	}
	for i := range size.Policies {
		out = append(out, Policy(seed, size.Namespaces, i))
	}
	return out
}

// Policy returns policy i of the network Generate(seed, size) with
// size.Namespaces == namespaces (for i >= size.Policies: a policy that
// network does not have yet).
func Policy(seed int64, namespaces, i int) map[string]any {
	if namespaces < 1 {
		namespaces = 1
	}
	r := rand.New(rand.NewPCG(uint64(seed), streamPolicies+uint64(i)))
	return policy(r, fmt.Sprintf("np%d", i), namespaceName(r.IntN(namespaces)), namespaces)
}

// DefaultDeny returns a policy selecting every pod of a namespace for the
// given directions, with no rule: it denies what no other policy allows.
func DefaultDeny(name, namespace string, ingress, egress bool) map[string]any {
	var types []any
	if ingress {
		types = append(types, "Ingress")
	}
	if egress {
		types = append(types, "Egress")
	}
	return networkPolicy(name, namespace, map[string]any{"podSelector": map[string]any{}, "policyTypes": types})
}

// Inventory indexes generated objects as if read from a file named
// "netgen" (line n for object n).
func Inventory(objs []map[string]any) (*inventory.Inventory, error) {
	var b inventory.Builder
	for i, content := range objs {
		o, err := inventory.NewObject(content, inventory.OriginFile, finding.Source{File: "netgen", Line: i + 1})
		if err != nil {
			return nil, fmt.Errorf("netgen object %d: %w", i, err)
		}
		b.Add(o)
	}
	return b.Build(), nil
}

func namespaceName(i int) string { return fmt.Sprintf("ns%d", i) }

func networkPolicy(name, namespace string, spec map[string]any) map[string]any {
	return map[string]any{
		"apiVersion": "networking.k8s.io/v1",
		"kind":       "NetworkPolicy",
		"metadata":   map[string]any{"name": name, "namespace": namespace},
		"spec":       spec,
	}
}
