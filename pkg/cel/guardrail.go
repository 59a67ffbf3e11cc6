// Package cel compiles and evaluates kharden's CEL guardrails with the
// Kubernetes CEL environment, and exports them as ValidatingAdmissionPolicy.
//
// A guardrail is written once. Offline it is evaluated per container (or per
// pod, or per object) so that a violation names the exact field; in the
// cluster the same expression is wrapped in a comprehension over the pod's
// containers (see vap.go). Both bind the same variable names, so the
// expression text is shared unchanged.
package cel

import (
	"errors"
	"fmt"
	"strings"

	celgo "github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"

	"github.com/kharden/kharden/pkg/inventory"
)

// Scope says what one evaluation of a guardrail looks at.
type Scope string

// Scopes.
const (
	// ScopeContainer evaluates once per container of the pod spec; binds
	// container, spec, podMeta, object and params.
	ScopeContainer Scope = "container"
	// ScopePod evaluates once per pod spec; binds spec, podMeta, object and
	// params.
	ScopePod Scope = "pod"
	// ScopeObject evaluates once per object; binds object and params.
	ScopeObject Scope = "object"
)

// Names of the variables a guardrail expression may read.
const (
	VarContainer = "container" // one container of the pod spec
	VarSpec      = "spec"      // the pod spec (Pod.spec, or the template's spec)
	VarPodMeta   = "podMeta"   // the pod's metadata (Pod.metadata, or the template's; {} when absent)
	VarObject    = "object"    // the whole object, as the API server's `object`
	VarParams    = "params"    // the kharden parameters, shaped like a ConfigMap: {"data": {...}}
)

// Guardrail is one CEL rule. Expression is true when the object (container,
// pod) is allowed. Expressions may only use what a Kubernetes v1.37 API
// server offers ValidatingAdmissionPolicy: standard CEL, the Kubernetes
// libraries, the strings, sets, lists and two-variable comprehension
// extensions, and optional types.
type Guardrail struct {
	Scope Scope
	// ContainerSets selects the container lists of a container-scope
	// guardrail; nil means all three.
	ContainerSets []inventory.ContainerSet
	// Expression must type-check to bool; true means allowed.
	Expression string
	// Message is the static violation message; MessageExpression, when set,
	// computes it (a string) from the same variables.
	Message           string
	MessageExpression string
	// FieldPath locates the offending field relative to the container, the
	// pod spec ("metadata..." means the pod's metadata) or the object, e.g.
	// "securityContext.readOnlyRootFilesystem". Empty means the container,
	// spec or object itself.
	FieldPath string
	// FieldPathsExpression, when set, computes list(string) of such relative
	// paths, one violation each (e.g. each offending env entry). It only
	// serves offline reporting and is not exported. An empty result falls
	// back to FieldPath.
	FieldPathsExpression string
}

// Sets returns the container lists a container-scope guardrail reads.
func (g *Guardrail) Sets() []inventory.ContainerSet {
	if len(g.ContainerSets) == 0 {
		return inventory.AllContainerSets
	}
	return g.ContainerSets
}

// Program is a compiled guardrail, safe for concurrent use.
type Program struct {
	g          *Guardrail
	check      celgo.Program
	message    celgo.Program // nil without MessageExpression
	paths      celgo.Program // nil without FieldPathsExpression
	usesParams bool
}

// Guardrail returns the guardrail the program was compiled from.
func (p *Program) Guardrail() *Guardrail { return p.g }

// UsesParams reports whether any of the guardrail's expressions reads params.
func (p *Program) UsesParams() bool { return p.usesParams }

// Violation is one failed guardrail evaluation.
type Violation struct {
	Path      string // field path inside the object
	Container string // the container's name, for container-scope guardrails
	Message   string
}

// Compile type-checks a guardrail's expressions in the shared environment and
// plans them for evaluation. Errors name the expression that failed and
// carry CEL's own diagnostics with line and column.
func Compile(g *Guardrail) (*Program, error) {
	if g == nil {
		return nil, errors.New("nil guardrail")
	}
	env, err := environmentFor(g.Scope)
	if err != nil {
		return nil, err
	}
	if g.Scope == ScopeContainer {
		for _, s := range g.Sets() {
			if s != inventory.Containers && s != inventory.InitContainers && s != inventory.EphemeralContainers {
				return nil, fmt.Errorf("unknown container set %q", s)
			}
		}
	}
	if strings.TrimSpace(g.Expression) == "" {
		return nil, errors.New("guardrail has no expression")
	}
	if g.Message == "" && g.MessageExpression == "" {
		return nil, errors.New("guardrail has neither message nor messageExpression")
	}
	p := &Program{g: g}
	var used bool
	if p.check, used, err = compileOne(env, g.Scope, "expression", g.Expression, celgo.BoolType); err != nil {
		return nil, err
	}
	p.usesParams = used
	if g.MessageExpression != "" {
		if p.message, used, err = compileOne(env, g.Scope, "messageExpression", g.MessageExpression, celgo.StringType); err != nil {
			return nil, err
		}
		p.usesParams = p.usesParams || used
	}
	if g.FieldPathsExpression != "" {
		if p.paths, _, err = compileOne(env, g.Scope, "fieldPathsExpression", g.FieldPathsExpression, celgo.ListType(celgo.DynType)); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func compileOne(env *celgo.Env, scope Scope, what, expr string, want *celgo.Type) (celgo.Program, bool, error) {
	if ast := precompiled(expr); ast != nil {
		if prg, used, err := planChecked(scope, what, ast, want); err == nil {
			return prg, used, nil
		}
		// Fall through: compiling from source reports the real error.
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, false, fmt.Errorf("%s does not compile:\n%s", what, iss.Err())
	}
	return planChecked(scope, what, ast, want)
}

// planChecked verifies a checked expression's scope and result type and
// plans it in the program environment.
func planChecked(scope Scope, what string, ast *celgo.Ast, want *celgo.Type) (celgo.Program, bool, error) {
	if err := checkScope(scope, what, ast); err != nil {
		return nil, false, err
	}
	if !ast.OutputType().IsExactType(want) && !(want.Kind() == types.ListKind && ast.OutputType().IsExactType(celgo.ListType(celgo.StringType))) {
		return nil, false, fmt.Errorf("%s must evaluate to %s, not %s", what, want, ast.OutputType())
	}
	penv, err := programEnv()
	if err != nil {
		return nil, false, err
	}
	prg, err := penv.Program(ast, programOptions...)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", what, err)
	}
	return prg, readsParams(ast), nil
}

// readsParams reports whether the checked expression refers to params.
func readsParams(ast *celgo.Ast) bool {
	for _, r := range ast.NativeRep().ReferenceMap() {
		if r.Name == VarParams {
			return true
		}
	}
	return false
}

// Input is the per-object state shared by every guardrail evaluated on it:
// the object, the params and, computed on first use, its pod template and
// containers. Values are bound as they are (map[string]any); cel-go adapts
// them lazily, so nothing is converted up front.
type Input struct {
	obj    *inventory.Object
	params map[string]any

	podDone    bool
	pod        inventory.PodTemplate
	isPod      bool
	podMeta    map[string]any
	setsDone   [3]bool
	containers [3][]inventory.Container // indexed by setIndex
	act        activation               // reused by every evaluation on the object
}

// NewInput prepares the activation for one object. It is not safe for
// concurrent use: the runner builds one per object per worker.
func NewInput(o *inventory.Object, params map[string]any) *Input {
	return &Input{obj: o, params: params}
}

// NewInputWithTemplate is NewInput for a caller that has already computed
// the object's pod template (o.PodTemplateOf()), which is then not computed
// again.
func NewInputWithTemplate(o *inventory.Object, t inventory.PodTemplate, isPod bool, params map[string]any) *Input {
	in := &Input{obj: o, params: params}
	in.setTemplate(t, isPod)
	return in
}

func (in *Input) setTemplate(t inventory.PodTemplate, isPod bool) {
	in.podDone = true
	in.pod, in.isPod = t, isPod
	in.podMeta = t.Meta
	if in.podMeta == nil {
		in.podMeta = map[string]any{}
	}
}

func (in *Input) template() (inventory.PodTemplate, bool) {
	if !in.podDone {
		in.setTemplate(in.obj.PodTemplateOf())
	}
	return in.pod, in.isPod
}

func setIndex(set inventory.ContainerSet) int {
	switch set {
	case inventory.Containers:
		return 0
	case inventory.InitContainers:
		return 1
	default:
		return 2
	}
}

func (in *Input) containersOf(set inventory.ContainerSet) []inventory.Container {
	i := setIndex(set)
	if !in.setsDone[i] {
		in.setsDone[i] = true
		in.containers[i] = in.pod.Containers(set)
	}
	return in.containers[i]
}

// activation resolves the guardrail variables without building a map per
// evaluation.
type activation struct {
	container, spec, podMeta, object, params any
}

func (a *activation) ResolveName(name string) (any, bool) {
	var v any
	switch name {
	case VarContainer:
		v = a.container
	case VarSpec:
		v = a.spec
	case VarPodMeta:
		v = a.podMeta
	case VarObject:
		v = a.object
	case VarParams:
		v = a.params
	default:
		return nil, false
	}
	return v, v != nil
}

func (a *activation) Parent() interpreterActivation { return nil }

// Evaluate runs the program on one object and returns its violations. An
// expression that fails at run time (a field of an unexpected type, say)
// yields an error naming the container, never a panic; the violations found
// before it are returned with it.
func (p *Program) Evaluate(in *Input) (vs []Violation, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("guardrail evaluation panicked: %v", r)
		}
	}()
	act := &in.act
	*act = activation{object: in.obj.Content, params: in.params}
	switch p.g.Scope {
	case ScopeObject:
		return p.evalAt(act, "", "", vs)
	case ScopePod:
		t, ok := in.template()
		if !ok {
			return nil, nil
		}
		act.spec, act.podMeta = t.Spec, in.podMeta
		return p.evalAt(act, t.SpecPath, "", vs)
	case ScopeContainer:
		t, ok := in.template()
		if !ok {
			return nil, nil
		}
		act.spec, act.podMeta = t.Spec, in.podMeta
		var errs []error
		for _, set := range p.g.Sets() {
			for _, c := range in.containersOf(set) {
				act.container = c.Spec
				var e error
				if vs, e = p.evalAt(act, c.Path, c.Name, vs); e != nil {
					errs = append(errs, fmt.Errorf("container %q: %w", c.Name, e))
				}
			}
		}
		return vs, errors.Join(errs...)
	}
	return nil, fmt.Errorf("unknown scope %q", p.g.Scope)
}

// evalAt evaluates the guardrail with one binding and appends a violation
// per offending path when it does not hold.
func (p *Program) evalAt(act *activation, base, container string, vs []Violation) ([]Violation, error) {
	ok, err := evalBool(p.check, act)
	if err != nil || ok {
		return vs, err
	}
	msg := p.g.Message
	if p.message != nil {
		// A broken message must not hide the violation: fall back to the
		// static message, as the API server does.
		if s, err := evalString(p.message, act); err == nil && strings.TrimSpace(s) != "" {
			msg = s
		}
	}
	var rel []string
	if p.paths != nil {
		rel, err = evalStrings(p.paths, act)
		if err != nil {
			return vs, fmt.Errorf("fieldPathsExpression: %w", err)
		}
	}
	if len(rel) == 0 {
		return append(vs, Violation{Path: joinPath(p.g.Scope, base, p.g.FieldPath), Container: container, Message: msg}), nil
	}
	for _, r := range rel {
		vs = append(vs, Violation{Path: joinPath(p.g.Scope, base, r), Container: container, Message: msg})
	}
	return vs, nil
}

// joinPath appends a relative field path. In pod scope a path starting with
// "metadata" is the pod's metadata, which sits beside the spec.
func joinPath(scope Scope, base, rel string) string {
	if scope == ScopePod && (rel == "metadata" || strings.HasPrefix(rel, "metadata.") || strings.HasPrefix(rel, "metadata[")) {
		base = strings.TrimSuffix(strings.TrimSuffix(base, "spec"), ".")
	}
	switch {
	case rel == "":
		return base
	case base == "":
		return rel
	case rel[0] == '[':
		return base + rel
	default:
		return base + "." + rel
	}
}

func evalBool(prg celgo.Program, act *activation) (bool, error) {
	out, _, err := prg.Eval(act)
	if err != nil {
		return false, err
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, fmt.Errorf("expression returned %s, want bool", out.Type())
	}
	return bool(b), nil
}

func evalString(prg celgo.Program, act *activation) (string, error) {
	out, _, err := prg.Eval(act)
	if err != nil {
		return "", err
	}
	s, ok := out.(types.String)
	if !ok {
		return "", fmt.Errorf("expression returned %s, want string", out.Type())
	}
	return string(s), nil
}

func evalStrings(prg celgo.Program, act *activation) ([]string, error) {
	out, _, err := prg.Eval(act)
	if err != nil {
		return nil, err
	}
	native, err := out.ConvertToNative(stringSliceType)
	if err != nil {
		return nil, err
	}
	return native.([]string), nil
}
