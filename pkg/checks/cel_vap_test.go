package checks

import (
	"context"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/cel/environment"
	"sigs.k8s.io/yaml"

	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/inventory"
)

// vapCompiler mirrors the API server's (unexported) policy compiler in
// k8s.io/apiserver/pkg/admission/plugin/policy/validating: the same
// composited compiler, variables, validations and message expressions, in
// the environment mode the server uses for stored policies.
func vapCompiler(t testing.TB, p *admissionregistrationv1.ValidatingAdmissionPolicy, mode environment.Type) validating.Validator {
	t.Helper()
	hasParams := p.Spec.ParamKind != nil
	vars := plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true}
	msgVars := plugincel.OptionalVariableDeclarations{HasParams: hasParams}
	comp, err := plugincel.NewCompositedCompiler(environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()))
	if err != nil {
		t.Fatal(err)
	}
	var named []plugincel.NamedExpressionAccessor
	for _, v := range p.Spec.Variables {
		named = append(named, &validating.Variable{Name: v.Name, Expression: v.Expression})
	}
	for _, v := range named {
		if r := comp.CompileAndStoreVariable(v, vars, mode); r.Error != nil {
			t.Fatalf("%s: variable %s: %v", p.Name, v.GetName(), r.Error)
		}
	}
	var conds, msgs []plugincel.ExpressionAccessor
	for _, v := range p.Spec.Validations {
		conds = append(conds, &validating.ValidationCondition{Expression: v.Expression, Message: v.Message, Reason: v.Reason})
		if v.MessageExpression != "" {
			msgs = append(msgs, &validating.MessageExpressionCondition{MessageExpression: v.MessageExpression})
		} else {
			msgs = append(msgs, nil)
		}
	}
	return validating.NewValidator(
		comp.CompileCondition(conds, vars, mode), nil,
		comp.CompileCondition(nil, vars, mode),
		comp.CompileCondition(msgs, msgVars, mode),
		p.Spec.FailurePolicy, nil)
}

// vapCompileErrors compiles every expression of the policy the way the API
// server validates a policy on create (NewExpressions environment at the
// server's compatibility version) and returns the errors.
func vapCompileErrors(t testing.TB, p *admissionregistrationv1.ValidatingAdmissionPolicy) []string {
	t.Helper()
	hasParams := p.Spec.ParamKind != nil
	comp, err := plugincel.NewCompositedCompiler(environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()))
	if err != nil {
		t.Fatal(err)
	}
	vars := plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true}
	var errs []string
	for _, v := range p.Spec.Variables {
		if r := comp.CompileAndStoreVariable(&validating.Variable{Name: v.Name, Expression: v.Expression}, vars, environment.NewExpressions); r.Error != nil {
			errs = append(errs, "variable "+v.Name+": "+r.Error.Error())
		}
	}
	for _, v := range p.Spec.Validations {
		if r := comp.CompileCELExpression(&validating.ValidationCondition{Expression: v.Expression}, vars, environment.NewExpressions); r.Error != nil {
			errs = append(errs, "expression: "+r.Error.Error())
		}
		if v.MessageExpression != "" {
			mv := plugincel.OptionalVariableDeclarations{HasParams: hasParams}
			if r := comp.CompileCELExpression(&validating.MessageExpressionCondition{MessageExpression: v.MessageExpression}, mv, environment.NewExpressions); r.Error != nil {
				errs = append(errs, "messageExpression: "+r.Error.Error())
			}
		}
	}
	return errs
}

func exportAll(t testing.TB) map[*Check]*admissionregistrationv1.ValidatingAdmissionPolicy {
	t.Helper()
	out := map[*Check]*admissionregistrationv1.ValidatingAdmissionPolicy{}
	for _, c := range celChecks {
		kinds := c.Kinds
		if kinds == nil {
			kinds = workloadKindsExcept()
		}
		p, err := c.Guardrail.ValidatingAdmissionPolicy("kharden-"+string(c.ID), kinds)
		if err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		out[c] = p
	}
	return out
}

// TestVAPExportCompiles checks every exported policy compiles as the API
// server compiles it, both when the policy is created (NewExpressions at
// the server's compatibility version) and when it is loaded.
func TestVAPExportCompiles(t *testing.T) {
	for c, p := range exportAll(t) {
		for _, e := range vapCompileErrors(t, p) {
			t.Errorf("%s: %s", c.ID, e)
		}
		if err := vapCompiler(t, p, environment.StoredExpressions).CompileError(); err != nil {
			t.Errorf("%s: %v", c.ID, err)
		}
		if _, err := yaml.Marshal(p); err != nil {
			t.Errorf("%s: %v", c.ID, err)
		}
		b := cel.ValidatingAdmissionPolicyBinding(p, cel.DefaultParamsRef)
		if (p.Spec.ParamKind != nil) != (b.Spec.ParamRef != nil) {
			t.Errorf("%s: binding paramRef does not follow the policy's paramKind", c.ID)
		}
	}
}

// gvrOf returns the resource a kind is admitted as (extensions Ingresses
// are served as networking.k8s.io/v1 today).
func gvrOf(t testing.TB, o *inventory.Object) (schema.GroupVersionKind, schema.GroupVersionResource) {
	plural := map[string]string{
		"Pod": "pods", "PodTemplate": "podtemplates", "ReplicationController": "replicationcontrollers",
		"Namespace": "namespaces", "Deployment": "deployments", "StatefulSet": "statefulsets",
		"DaemonSet": "daemonsets", "ReplicaSet": "replicasets", "Job": "jobs", "CronJob": "cronjobs",
		"Ingress": "ingresses",
	}[o.GK.Kind]
	if plural == "" {
		t.Fatalf("no resource for %s", o.GK)
	}
	gv := map[string]string{"": "v1", "apps": "v1", "batch": "v1", "networking.k8s.io": "v1"}[o.GK.Group]
	return schema.GroupVersionKind{Group: o.GK.Group, Version: gv, Kind: o.GK.Kind},
		schema.GroupVersionResource{Group: o.GK.Group, Version: gv, Resource: plural}
}

// vapVerdict runs the API server's validator on one object; it returns
// whether the object is denied and the denial messages.
func vapVerdict(t testing.TB, v validating.Validator, o *inventory.Object, params runtime.Object) (bool, []string) {
	t.Helper()
	gvk, gvr := gvrOf(t, o)
	content := runtime.DeepCopyJSON(o.Content)
	u := &unstructured.Unstructured{Object: content}
	u.SetAPIVersion(gvk.GroupVersion().String())
	attr := admission.NewAttributesRecord(u, nil, gvk, o.Ref.Namespace, o.Ref.Name, gvr, "", admission.Create, &metav1.CreateOptions{}, false, nil)
	va := &admission.VersionedAttributes{Attributes: attr, VersionedKind: gvk, VersionedObject: admission.NewLazyObject(u)}
	var ns *corev1.Namespace
	if o.Ref.Namespace != "" {
		ns = &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: o.Ref.Namespace}}
	}
	res := v.Validate(context.Background(), gvr, va, params, ns, celconfig.RuntimeCELCostBudget, nil)
	denied := false
	var msgs []string
	for _, d := range res.Decisions {
		if d.Evaluation == validating.EvalError {
			t.Errorf("%s: API server evaluation error: %s", o.Ref, d.Message)
		}
		if d.Action == validating.ActionDeny {
			denied = true
			msgs = append(msgs, d.Message)
		}
	}
	return denied, msgs
}

// TestVAPOracle is the fidelity oracle of PC1: on every fixture object, the
// API server's own ValidatingAdmissionPolicy validator, running the exported
// policy, denies exactly the objects the offline evaluation reports, and its
// message carries the offline messages.
func TestVAPOracle(t *testing.T) {
	policies := exportAll(t)
	validators := map[*Check]validating.Validator{}
	progs := map[*Check]*cel.Program{}
	for c, p := range policies {
		validators[c] = vapCompiler(t, p, environment.StoredExpressions)
		prg, err := cel.Compile(c.Guardrail)
		if err != nil {
			t.Fatal(err)
		}
		progs[c] = prg
	}
	compared, deniedN := 0, 0
	for _, fx := range loadCELFixtures(t) {
		params := cel.ParamsConfigMap(cel.DefaultParamsRef, cel.ParamsStringData(fx.cfg.AllowedRegistries, fx.cfg.OwnerKeys, fx.cfg.DataClassificationKey))
		var prm runtime.Object
		if policies[fx.check].Spec.ParamKind != nil {
			prm = params
		}
		for o, vs := range evalFixture(t, progs[fx.check], fx) {
			compared++
			denied, msgs := vapVerdict(t, validators[fx.check], o, prm)
			if denied {
				deniedN++
			}
			if denied != (len(vs) > 0) {
				t.Errorf("%s %s: offline %d violations, API server denied=%v %v", fx.file, o.Ref, len(vs), denied, msgs)
				continue
			}
			all := strings.Join(msgs, "\n")
			for _, v := range vs {
				if !strings.Contains(all, v.Message) {
					t.Errorf("%s %s: API server message %q lacks offline message %q", fx.file, o.Ref, all, v.Message)
				}
			}
		}
	}
	if deniedN == 0 || deniedN == compared {
		t.Fatalf("oracle saw %d denials in %d objects: it must see both verdicts", deniedN, compared)
	}
	t.Logf("%d objects compared across %d policies, %d denied", compared, len(policies), deniedN)
}
