package rollout

import (
	"fmt"
	"strconv"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
)

// PodSecurity is the rollout unit of the Pod Security Standards: PSA labels
// on namespaces, at the configured level.
const PodSecurity finding.RuleID = "pod-security"

// PolicyPrefix names kharden's policies and bindings: kharden-<rule>.
const PolicyPrefix = "kharden-"

// ManagedBy labels every object kharden writes.
const ManagedBy = "app.kubernetes.io/managed-by"

// Policy is one exported guardrail.
type Policy struct {
	Rule   finding.RuleID
	Check  *checks.Check
	Policy *admissionregistrationv1.ValidatingAdmissionPolicy
	// Notes are exceptions that could not be exported.
	Notes []string
}

// Units returns the rollout units: every CEL guardrail id and PodSecurity.
func Units() []finding.RuleID {
	var out []finding.RuleID
	for _, c := range checks.CELRules() {
		out = append(out, c.ID)
	}
	return append(out, PodSecurity)
}

// SelectRules resolves --rules: empty means every unit; unknown ids are an
// error naming them (PSS rule ids select PodSecurity).
func SelectRules(ids []string) ([]finding.RuleID, error) {
	if len(ids) == 0 {
		return Units(), nil
	}
	known := map[finding.RuleID]bool{}
	for _, u := range Units() {
		known[u] = true
	}
	pss := map[finding.RuleID]bool{}
	for _, c := range checks.Catalogue() {
		if c.Engine == checks.EnginePSS {
			pss[c.ID] = true
		}
	}
	seen := map[finding.RuleID]bool{}
	var out, unknown []finding.RuleID
	for _, s := range ids {
		id := finding.RuleID(s)
		if pss[id] {
			id = PodSecurity
		}
		switch {
		case !known[id]:
			unknown = append(unknown, id)
		case !seen[id]:
			seen[id] = true
			out = append(out, id)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown or not exportable rule(s) %v: exportable are the CEL guardrails (kharden rules --engine cel) and %s (the Pod Security Standards)", unknown, PodSecurity)
	}
	return out, nil
}

// ExportPolicies builds the ValidatingAdmissionPolicy of every CEL rule
// among rules: the guardrail's expression unchanged (pkg/cel), an audit
// annotation with the violation, and the exceptions as matchConditions.
func ExportPolicies(rules []finding.RuleID, cfg *config.Config, now time.Time) ([]Policy, error) {
	want := map[finding.RuleID]bool{}
	for _, r := range rules {
		want[r] = true
	}
	var out []Policy
	for _, c := range checks.CELRules() {
		if !want[c.ID] || !cfg.RuleEnabled(c.ID, !c.Disabled) {
			continue
		}
		p, err := c.Guardrail.ValidatingAdmissionPolicy(PolicyPrefix+string(c.ID), checks.GuardrailKinds(c))
		if err != nil {
			return nil, err
		}
		p.Annotations = map[string]string{"kharden.dev/rule": string(c.ID), "kharden.dev/summary": c.Summary}
		conds, notes, err := exceptionConditions(c.ID, cfg, now)
		if err != nil {
			return nil, err
		}
		p.Spec.MatchConditions = conds
		p.Spec.AuditAnnotations = auditAnnotations(p)
		out = append(out, Policy{Rule: c.ID, Check: c, Policy: p, Notes: notes})
	}
	return out, nil
}

// auditAnnotations record the violation in every audited request the
// policy judged, whatever the binding's action. The API server wants the
// value typed exactly string or null, so a ternary with null does not
// compile; an empty value is left out of the event just the same.
func auditAnnotations(p *admissionregistrationv1.ValidatingAdmissionPolicy) []admissionregistrationv1.AuditAnnotation {
	v := p.Spec.Validations[0]
	msg := v.MessageExpression
	if msg == "" {
		msg = strconv.Quote(v.Message)
	}
	return []admissionregistrationv1.AuditAnnotation{{Key: "violation", ValueExpression: "!(" + v.Expression + ") ? (" + msg + ") : ''"}}
}

// ParamsConfigMap is the params object the policies read, from the
// configuration (registry allowlist, owner keys, data classification).
func ParamsConfigMap(cfg *config.Config) *corev1.ConfigMap {
	cm := cel.ParamsConfigMap(cel.DefaultParamsRef, cel.ParamsStringData(cfg.AllowedRegistries, cfg.OwnerKeys, cfg.DataClassificationKey))
	return cm
}
