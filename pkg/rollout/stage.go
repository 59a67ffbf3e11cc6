// Package rollout turns kharden's guardrails into native cluster policy and
// moves them, rule by rule, through the stages of a safe rollout: audit
// everywhere, warn everywhere, deny in canary namespaces, deny in
// production, deny everywhere. CEL guardrails become ValidatingAdmissionPolicies
// (the offline evaluator's expression text) with one binding per stage and
// scope; Pod Security Standards become PSA namespace labels. Exceptions of
// .kharden.yaml and of object annotations become the policies'
// matchConditions, so the API server lets through exactly what CI lets
// through. The stage of every rule is kept in the cluster (a ConfigMap), so
// status and rollback need nothing else.
package rollout

import (
	"fmt"
	"strconv"
	"strings"
)

// Stage is a step of the rollout. Zero is "not rolled out".
type Stage int

// The stages, in order.
const (
	StageNone Stage = iota
	StageAudit
	StageWarn
	StageCanary
	StageProduction
	StageEverywhere
)

var stageNames = [...]string{"none", "audit", "warn", "deny-canary", "deny-production", "deny-everywhere"}

// Stages lists the stages a rule moves through.
func Stages() []Stage {
	return []Stage{StageAudit, StageWarn, StageCanary, StageProduction, StageEverywhere}
}

func (s Stage) String() string {
	if s < 0 || int(s) >= len(stageNames) {
		return fmt.Sprintf("stage(%d)", int(s))
	}
	return stageNames[s]
}

// Describe says what the stage does.
func (s Stage) Describe() string {
	switch s {
	case StageNone:
		return "nothing in the cluster"
	case StageAudit:
		return "audit everywhere: violations are written to the audit log"
	case StageWarn:
		return "warn everywhere: clients see warnings, violations are audited"
	case StageCanary:
		return "deny in canary namespaces, warn elsewhere"
	case StageProduction:
		return "deny in canary and production namespaces, warn elsewhere"
	case StageEverywhere:
		return "deny everywhere (excluded namespaces aside)"
	}
	return s.String()
}

// ParseStage reads a stage by number (0-5) or name.
func ParseStage(s string) (Stage, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n >= len(stageNames) {
			return 0, fmt.Errorf("stage %d: want 0 to %d", n, len(stageNames)-1)
		}
		return Stage(n), nil
	}
	for i, n := range stageNames {
		if strings.EqualFold(s, n) {
			return Stage(i), nil
		}
	}
	return 0, fmt.Errorf("stage %q: want a number 0-%d or one of %s", s, len(stageNames)-1, strings.Join(stageNames[:], ", "))
}
