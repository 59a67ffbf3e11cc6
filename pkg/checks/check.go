// Package checks holds kharden's rule catalogue and runs it over an
// inventory. Each rule is a Check value declared in its own file, with its
// metadata and one of three engines behind it:
//
//   - EnginePSS: a Pod Security Standards check of
//     k8s.io/pod-security-admission (the API server's own code), evaluated once
//     per pod for all PSS rules together;
//   - EngineCEL: a guardrail written in the Kubernetes CEL dialect, compiled
//     once, and exportable unchanged as a ValidatingAdmissionPolicy;
//   - EngineGo: Go code over the inventory, for what CEL cannot express
//     (entropy of a literal, facts that span several objects).
package checks

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// Engine names how a check is evaluated.
type Engine string

// Engines.
const (
	EnginePSS Engine = "pss"
	EngineCEL Engine = "cel"
	EngineGo  Engine = "go"
	// EngineAnalysis rules are reported by an analysis command (kubeconfig
	// audit, access review) rather than by the scan runner; the catalogue
	// holds their metadata so rules, explain, docs and severity overrides
	// know them.
	EngineAnalysis Engine = "analysis"
)

// Check is one rule of the catalogue.
type Check struct {
	ID          finding.RuleID
	Category    finding.Category
	Severity    finding.Severity
	Level       finding.Level // the PSS level the rule belongs to, if any
	Summary     string        // one line
	Doc         string        // what is inspected and what is allowed
	Remediation string
	References  []string // CIS Kubernetes Benchmark, NSA/CISA, PSS ids
	// Disabled rules only run when .kharden.yaml turns them on.
	Disabled bool
	// Command reports an analysis rule ("kharden access kubeconfig").
	Command string

	Engine Engine
	// Kinds the check applies to; nil means every workload kind (pod specs),
	// unless AnyKind.
	Kinds   []schema.GroupKind
	AnyKind bool

	// PSS: the pod-security-admission checks this rule reports, and how to
	// locate the offending fields once the library says a check failed.
	PSS *PSSBinding
	// CEL: the guardrail.
	Guardrail *cel.Guardrail
	// Go: called once per object of Kinds.
	Run func(p *Pass, o *inventory.Object)
}

// PSSBinding ties a rule to pod-security-admission checks.
type PSSBinding struct {
	Checks []policy.CheckID
	// Locate returns the offending fields of a pod whose PSA check failed
	// at the given policy version. It may return nothing when this rule is
	// one of several sharing a PSA check (host-network, host-pid and
	// host-ipc share hostNamespaces) and its own field is fine.
	Locate func(t inventory.PodTemplate, failed policy.CheckID, version api.Version) []Location
}

// Location is where in an object a rule is violated.
type Location struct {
	Path      string // field path, e.g. spec.containers[0].image
	Container string // container name, when the finding is about one
	Message   string
	// Severity, when set, replaces the rule's default for this finding (a
	// risky binding is worse cluster-wide, or held by a running workload).
	Severity *finding.Severity
	// Related are the other objects the finding is about (binding -> role).
	Related []finding.Related
}

// AnalysisOnly reports whether a check cannot be enforced at admission (it
// needs facts beyond the one object).
func (c *Check) AnalysisOnly() bool { return c.Engine == EngineGo || c.Engine == EngineAnalysis }

// AppliesTo reports whether the check looks at objects of this kind.
func (c *Check) AppliesTo(gk schema.GroupKind) bool {
	if c.AnyKind {
		return true
	}
	if c.Kinds == nil {
		return inventory.IsWorkloadKind(gk)
	}
	for _, k := range c.Kinds {
		if k == gk {
			return true
		}
	}
	return false
}
