// Package pss evaluates Pod Security Standards with
// k8s.io/pod-security-admission, the code the API server runs, at a chosen
// policy version. Unlike the library's own evaluator it reports which check
// failed (its CheckID), so that each failure can be mapped to a kharden rule.
package pss

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// Violation is one failed PSA check.
type Violation struct {
	Check policy.CheckID
	// Level is the level the check itself belongs to (a baseline check
	// failing in a restricted evaluation says baseline).
	Level          finding.Level
	Reason, Detail string
}

// Evaluator runs the PSA checks of one policy version. It is immutable after
// NewEvaluator and safe for concurrent use.
type Evaluator struct {
	version    api.Version // as requested ("latest" or v1.N)
	effective  api.Version // the version whose checks run (latest clamps to the newest known)
	baseline   []selectedCheck
	restricted []selectedCheck
}

// NewEvaluator returns an evaluator for a PSS version: "latest" (also the
// default for "") or "v1.N" as in the pod-security.kubernetes.io/*-version
// namespace labels.
func NewEvaluator(version string) (*Evaluator, error) {
	if version == "" {
		version = "latest"
	}
	v, err := api.ParseVersion(version)
	if err != nil {
		return nil, fmt.Errorf("pod security standards version %q: %w", version, err)
	}
	reg := newRegistry(policy.DefaultChecks())
	eff := reg.clamp(v)
	return &Evaluator{
		version:    v,
		effective:  eff,
		baseline:   reg.checksFor(api.LevelBaseline, eff),
		restricted: reg.checksFor(api.LevelRestricted, eff),
	}, nil
}

// Version is the version the evaluator was asked for.
func (e *Evaluator) Version() api.Version { return e.version }

// EffectiveVersion is the policy version whose checks actually run: "latest"
// and versions newer than the library knows resolve to its newest version,
// as the API server does.
func (e *Evaluator) EffectiveVersion() api.Version { return e.effective }

// Checks lists the ids of the checks run at a level, in evaluation order.
func (e *Evaluator) Checks(level finding.Level) []policy.CheckID {
	list, _ := e.checksAt(level)
	ids := make([]policy.CheckID, len(list))
	for i, c := range list {
		ids[i] = c.id
	}
	return ids
}

func (e *Evaluator) checksAt(level finding.Level) ([]selectedCheck, error) {
	switch level {
	case finding.LevelBaseline:
		return e.baseline, nil
	case finding.LevelRestricted:
		return e.restricted, nil
	}
	return nil, fmt.Errorf("pod security standards level %q: want baseline or restricted", level)
}

// Evaluate runs every check of the level on a pod template and returns one
// Violation per failed check, in the library's order (baseline checks first,
// then restricted, each by id). When some fields of the template have the
// wrong type the pod is still judged on every field that could be read, and
// the error says which fields were skipped (never their values).
func (e *Evaluator) Evaluate(t inventory.PodTemplate, level finding.Level) ([]Violation, error) {
	checks, err := e.checksAt(level)
	if err != nil {
		return nil, err
	}
	var pod decodedPod
	decodeErr := pod.decode(t.Meta, t.Spec, t.SpecPath)
	pod.applyDefaults()
	return run(checks, &pod.meta, &pod.spec), decodeErr
}

// EvaluatePod is Evaluate on typed objects, taken as they are: the caller
// applies any server defaults it wants judged.
func (e *Evaluator) EvaluatePod(meta *metav1.ObjectMeta, spec *corev1.PodSpec, level finding.Level) ([]Violation, error) {
	checks, err := e.checksAt(level)
	if err != nil {
		return nil, err
	}
	return run(checks, meta, spec), nil
}

func run(checks []selectedCheck, meta *metav1.ObjectMeta, spec *corev1.PodSpec) []Violation {
	var out []Violation
	for i := range checks {
		c := &checks[i]
		r := c.fn(meta, spec)
		if r.Allowed {
			continue
		}
		reason := r.ForbiddenReason
		if reason == "" {
			reason = policy.UnknownForbiddenReason
		}
		out = append(out, Violation{Check: c.id, Level: c.level, Reason: reason, Detail: r.ForbiddenDetail})
	}
	return out
}

// Aggregate folds violations into the library's aggregate form, for
// comparison with policy.AggregateCheckResults and for messages shaped like
// the API server's.
func Aggregate(vs []Violation) policy.AggregateCheckResult {
	res := make([]policy.CheckResult, len(vs))
	for i, v := range vs {
		res[i] = policy.CheckResult{ForbiddenReason: v.Reason, ForbiddenDetail: v.Detail}
	}
	return policy.AggregateCheckResults(res)
}
