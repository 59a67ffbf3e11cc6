package cel

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	celgo "github.com/google/cel-go/cel"
	"github.com/google/cel-go/interpreter"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apiserver/pkg/cel/environment"

	"github.com/kharden/kharden/pkg/imageref"
)

// CompatibilityVersion is the Kubernetes version whose CEL environment the
// guardrails are compiled in; exported policies need an API server at least
// this recent.
var CompatibilityVersion = version.MajorMinor(1, 37)

type interpreterActivation = interpreter.Activation

var stringSliceType = reflect.TypeOf([]string{})

var (
	envOnce sync.Once
	envVal  *celgo.Env
	envErr  error
)

// baseEnv returns the Kubernetes base environment at CompatibilityVersion
// (the libraries the API server gives ValidatingAdmissionPolicy) with the
// guardrail variables declared as dyn, as VAP declares object and params.
// It is built once per process.
func baseEnv() (*celgo.Env, error) {
	envOnce.Do(func() {
		set := environment.MustBaseEnvSet(CompatibilityVersion)
		envVal, envErr = set.NewExpressionsEnv().Extend(
			celgo.Variable(VarContainer, celgo.DynType),
			celgo.Variable(VarSpec, celgo.DynType),
			celgo.Variable(VarPodMeta, celgo.DynType),
			celgo.Variable(VarObject, celgo.DynType),
			celgo.Variable(VarParams, celgo.DynType),
		)
		if envErr != nil {
			envErr = fmt.Errorf("building the CEL environment: %w", envErr)
		}
	})
	return envVal, envErr
}

// scopeVars lists the variables each scope binds.
var scopeVars = map[Scope]map[string]bool{
	ScopeContainer: {VarContainer: true, VarSpec: true, VarPodMeta: true, VarObject: true, VarParams: true},
	ScopePod:       {VarSpec: true, VarPodMeta: true, VarObject: true, VarParams: true},
	ScopeObject:    {VarObject: true, VarParams: true},
}

func environmentFor(s Scope) (*celgo.Env, error) {
	if _, ok := scopeVars[s]; !ok {
		return nil, fmt.Errorf("unknown guardrail scope %q", s)
	}
	return baseEnv()
}

// checkScope rejects references to variables the scope does not bind (one
// environment serves all scopes, so the checker alone would accept them).
func checkScope(s Scope, what string, ast *celgo.Ast) error {
	var bad []string
	for _, r := range ast.NativeRep().ReferenceMap() {
		if r.Name == "" || len(r.OverloadIDs) > 0 {
			continue
		}
		switch r.Name {
		case VarContainer, VarSpec, VarPodMeta, VarObject, VarParams:
			if !scopeVars[s][r.Name] {
				bad = append(bad, r.Name)
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return fmt.Errorf("%s: %s not available in %s scope", what, strings.Join(bad, ", "), s)
}

// Keys of the params data.
const (
	ParamAllowedRegistries     = "allowedRegistries"
	ParamOwnerKeys             = "ownerKeys"
	ParamDataClassificationKey = "dataClassificationKey"
)

// ParamsData builds the data of the params ConfigMap: every value a string,
// lists comma-separated. Allowlist entries are normalised here (trimmed,
// Docker Hub aliases spelled docker.io) so the expressions only split.
func ParamsData(allowedRegistries, ownerKeys []string, dataClassificationKey string) map[string]any {
	var regs []string
	for _, r := range allowedRegistries {
		if r = imageref.NormalizeAllowlistEntry(r); r != "" {
			regs = append(regs, r)
		}
	}
	var keys []string
	for _, k := range ownerKeys {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	return map[string]any{
		ParamAllowedRegistries:     strings.Join(regs, ","),
		ParamOwnerKeys:             strings.Join(keys, ","),
		ParamDataClassificationKey: strings.TrimSpace(dataClassificationKey),
	}
}

// ParamsStringData is ParamsData typed for a ConfigMap's data.
func ParamsStringData(allowedRegistries, ownerKeys []string, dataClassificationKey string) map[string]string {
	out := map[string]string{}
	for k, v := range ParamsData(allowedRegistries, ownerKeys, dataClassificationKey) {
		out[k] = v.(string)
	}
	return out
}
