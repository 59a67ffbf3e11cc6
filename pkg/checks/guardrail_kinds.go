package checks

import "k8s.io/apimachinery/pkg/runtime/schema"

// GuardrailKinds are the kinds a CEL rule's exported policy matches: its
// Kinds, or every kind that carries a pod spec.
func GuardrailKinds(c *Check) []schema.GroupKind {
	if c.Kinds != nil {
		return c.Kinds
	}
	return workloadKindsExcept()
}

// CELRules returns the CEL guardrails of the catalogue, sorted by id.
func CELRules() []*Check {
	var out []*Check
	for _, c := range Catalogue() {
		if c.Engine == EngineCEL {
			out = append(out, c)
		}
	}
	return out
}
