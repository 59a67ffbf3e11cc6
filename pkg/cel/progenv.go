package cel

import (
	"fmt"
	"sync"

	celgo "github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"
	"k8s.io/apiserver/pkg/cel/library"
)

// The API server plans every program with cost tracking and a per-call cost
// limit (its base environment's program options). Offline the guardrails are
// trusted catalogue code, so that bookkeeping buys nothing, and it costs
// more than half of the evaluation time: every step of the interpreter is
// wrapped by an observer. Expressions are therefore still parsed and
// type-checked in the API server's own environment (baseEnv), and planned in
// programEnv: the same libraries at the same versions, loaded with their own
// program options (optional-value short-circuits, regex precompilation) but
// without the cost options. TestProgramEnvMatchesVAPEnv holds the two
// environments' functions, overloads, macros and variables equal, so a
// library added to, or removed from, the Kubernetes base environment on an
// upgrade fails the test instead of silently changing a verdict.

var (
	progEnvOnce sync.Once
	progEnvVal  *celgo.Env
	progEnvErr  error
)

// programEnvOptions are the options of the Kubernetes base environment
// (k8s.io/apiserver/pkg/cel/environment, baseOpts) that are in force at
// CompatibilityVersion, minus EvalOptions(OptTrackCost), CostLimit,
// CostTrackerOptions and CostTracking, plus constant folding.
func programEnvOptions() []celgo.EnvOption {
	return []celgo.EnvOption{
		// Introduced at 1.0.
		celgo.HomogeneousAggregateLiterals(),
		celgo.EagerlyValidateDeclarations(true),
		celgo.DefaultUTCTimeZone(true),
		library.URLs(),
		library.Regex(),
		// 1.27.
		library.Authz(),
		// 1.28.
		celgo.CrossTypeNumericComparisons(true),
		celgo.OptionalTypes(),
		library.Quantity(),
		// 1.29 (the 1.29 AST validators only act at compile time).
		ext.Strings(ext.StringsVersion(2)),
		ext.Sets(),
		// 1.30.
		library.IP(),
		library.CIDR(),
		// 1.31.
		library.Format(),
		library.AuthzSelectors(),
		// 1.32.
		ext.TwoVarComprehensions(),
		// 1.33.
		library.SemverLib(library.SemverVersion(1)),
		// 1.34.
		ext.Lists(ext.ListsVersion(3)),
		// 1.37 (replaces library.Lists version 0).
		library.Lists(library.ListsVersion(1)),
		// Variables, declared as in baseEnv.
		celgo.Variable(VarContainer, celgo.DynType),
		celgo.Variable(VarSpec, celgo.DynType),
		celgo.Variable(VarPodMeta, celgo.DynType),
		celgo.Variable(VarObject, celgo.DynType),
		celgo.Variable(VarParams, celgo.DynType),
	}
}

// programEnv returns the environment guardrail programs are planned in (see
// above). It is built once per process.
func programEnv() (*celgo.Env, error) {
	progEnvOnce.Do(func() {
		progEnvVal, progEnvErr = celgo.NewEnv(programEnvOptions()...)
		if progEnvErr != nil {
			progEnvErr = fmt.Errorf("building the CEL program environment: %w", progEnvErr)
		}
	})
	return progEnvVal, progEnvErr
}

// programOptions are passed when planning: constant folding (as the API
// server does) and nothing that observes evaluation.
var programOptions = []celgo.ProgramOption{celgo.EvalOptions(celgo.OptOptimize)}
