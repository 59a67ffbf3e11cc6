package cel

import (
	"fmt"
	"sort"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/pkg/inventory"
)

// ParamsRef names the ConfigMap that exported policies read as params; its
// data is ParamsStringData of the configuration, so the cluster sees the
// same params as the offline scan.
type ParamsRef struct {
	Namespace string
	Name      string
}

// DefaultParamsRef is where kharden's in-cluster components keep the params.
var DefaultParamsRef = ParamsRef{Namespace: "kharden-system", Name: "kharden-params"}

// resources maps the kinds guardrails apply to onto their API resources.
var resources = map[schema.GroupKind]string{
	inventory.KindPod:                   "pods",
	inventory.KindPodTemplate:           "podtemplates",
	inventory.KindReplicationController: "replicationcontrollers",
	inventory.KindNamespace:             "namespaces",
	inventory.KindDeployment:            "deployments",
	inventory.KindStatefulSet:           "statefulsets",
	inventory.KindDaemonSet:             "daemonsets",
	inventory.KindReplicaSet:            "replicasets",
	inventory.KindJob:                   "jobs",
	inventory.KindCronJob:               "cronjobs",
	inventory.KindIngress:               "ingresses",
	inventory.KindService:               "services",
	inventory.KindServiceAccount:        "serviceaccounts",
	inventory.KindConfigMap:             "configmaps",
	inventory.KindSecret:                "secrets",
	inventory.KindNetworkPolicy:         "networkpolicies",
}

// VAP variable names.
const (
	vapTemplate   = "template"
	vapPodSpec    = "podSpec"
	vapPodMeta    = "podMeta"
	vapContainers = "containers"
)

// vapTemplateExpr finds the pod (or pod template) in any workload object by
// its shape, which is how the kinds differ: PodTemplate.template,
// CronJob.spec.jobTemplate.spec.template, <workload>.spec.template, and
// the Pod itself.
const vapTemplateExpr = `has(object.template) ? object.template :
  has(object.spec) && has(object.spec.jobTemplate) ? object.spec.jobTemplate.spec.template :
  has(object.spec) && has(object.spec.template) ? object.spec.template :
  object`

// ValidatingAdmissionPolicy exports the guardrail, unchanged, as a
// ValidatingAdmissionPolicy matching CREATE and UPDATE of the given kinds.
// Pod and container scopes compute the pod spec, its metadata and the
// guardrail's container lists in spec.variables and bind them to the names
// the offline evaluation uses (spec, podMeta, container) through
// single-element comprehensions. A guardrail that reads params gets
// paramKind v1 ConfigMap (see ParamsRef).
func (g *Guardrail) ValidatingAdmissionPolicy(name string, kinds []schema.GroupKind) (*admissionregistrationv1.ValidatingAdmissionPolicy, error) {
	prg, err := Compile(g)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", name, err)
	}
	rules, err := resourceRules(g, kinds)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", name, err)
	}
	fail := admissionregistrationv1.Fail
	equivalent := admissionregistrationv1.Equivalent
	reason := metav1.StatusReasonInvalid
	v := admissionregistrationv1.Validation{Expression: g.vapExpression(), Reason: &reason}
	if g.MessageExpression != "" {
		v.MessageExpression = g.vapMessageExpression()
	}
	v.Message = g.Message
	if v.Message == "" {
		// The API server falls back to Message when messageExpression fails.
		v.Message = "kharden guardrail " + name + " failed"
	}
	p := &admissionregistrationv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app.kubernetes.io/managed-by": "kharden"}},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: &fail,
			MatchConstraints: &admissionregistrationv1.MatchResources{
				MatchPolicy:   &equivalent,
				ResourceRules: rules,
			},
			Variables:   g.vapVariables(),
			Validations: []admissionregistrationv1.Validation{v},
		},
	}
	if prg.UsesParams() {
		p.Spec.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"}
	}
	return p, nil
}

// ValidatingAdmissionPolicyBinding binds an exported policy cluster-wide with
// the given actions (Deny, Warn, Audit); params is used when the policy has a
// paramKind. A missing params ConfigMap denies rather than silently allows.
func ValidatingAdmissionPolicyBinding(policy *admissionregistrationv1.ValidatingAdmissionPolicy, params ParamsRef, actions ...admissionregistrationv1.ValidationAction) *admissionregistrationv1.ValidatingAdmissionPolicyBinding {
	if len(actions) == 0 {
		actions = []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}
	}
	b := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: policy.Name, Labels: map[string]string{"app.kubernetes.io/managed-by": "kharden"}},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        policy.Name,
			ValidationActions: actions,
		},
	}
	if policy.Spec.ParamKind != nil {
		deny := admissionregistrationv1.DenyAction
		b.Spec.ParamRef = &admissionregistrationv1.ParamRef{
			Name: params.Name, Namespace: params.Namespace, ParameterNotFoundAction: &deny,
		}
	}
	return b
}

// ParamsConfigMap is the params object exported policies read.
func ParamsConfigMap(ref ParamsRef, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name, Labels: map[string]string{"app.kubernetes.io/managed-by": "kharden"}},
		Data:       data,
	}
}

func resourceRules(g *Guardrail, kinds []schema.GroupKind) ([]admissionregistrationv1.NamedRuleWithOperations, error) {
	if len(kinds) == 0 {
		return nil, fmt.Errorf("no kinds to match")
	}
	byGroup := map[string][]string{}
	for _, k := range kinds {
		k = inventory.CanonicalGroupKind(k)
		res, ok := resources[k]
		if !ok {
			return nil, fmt.Errorf("no API resource known for kind %s", k)
		}
		byGroup[k.Group] = append(byGroup[k.Group], res)
		// Ephemeral containers are added through a subresource.
		if k == inventory.KindPod && g.Scope == ScopeContainer && g.hasSet(inventory.EphemeralContainers) {
			byGroup[k.Group] = append(byGroup[k.Group], "pods/ephemeralcontainers")
		}
	}
	groups := make([]string, 0, len(byGroup))
	for gr := range byGroup {
		groups = append(groups, gr)
	}
	sort.Strings(groups)
	var out []admissionregistrationv1.NamedRuleWithOperations
	for _, gr := range groups {
		res := byGroup[gr]
		sort.Strings(res)
		out = append(out, admissionregistrationv1.NamedRuleWithOperations{
			RuleWithOperations: admissionregistrationv1.RuleWithOperations{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule: admissionregistrationv1.Rule{
					APIGroups: []string{gr}, APIVersions: []string{"*"}, Resources: res,
				},
			},
		})
	}
	return out, nil
}

func (g *Guardrail) hasSet(s inventory.ContainerSet) bool {
	for _, x := range g.Sets() {
		if x == s {
			return true
		}
	}
	return false
}

func (g *Guardrail) vapVariables() []admissionregistrationv1.Variable {
	if g.Scope == ScopeObject {
		return nil
	}
	vars := []admissionregistrationv1.Variable{
		{Name: vapTemplate, Expression: vapTemplateExpr},
		{Name: vapPodSpec, Expression: "variables." + vapTemplate + ".spec"},
		{Name: vapPodMeta, Expression: "variables." + vapTemplate + ".?metadata.orValue({})"},
	}
	if g.Scope == ScopeContainer {
		var parts []string
		for _, s := range g.Sets() {
			parts = append(parts, "variables."+vapPodSpec+".?"+string(s)+".orValue([])")
		}
		vars = append(vars, admissionregistrationv1.Variable{Name: vapContainers, Expression: strings.Join(parts, " + ")})
	}
	return vars
}

// bindPod wraps a pod-scope body so that spec and podMeta are bound as
// offline; comp is the comprehension ("all" for a verdict, "map" for a
// message).
func bindPod(comp, body string) string {
	return "[variables." + vapPodSpec + "]." + comp + "(" + VarSpec + ", [variables." + vapPodMeta + "]." + comp + "(" + VarPodMeta + ",\n" + body + "))"
}

func (g *Guardrail) vapExpression() string {
	switch g.Scope {
	case ScopeContainer:
		return bindPod("all", "variables."+vapContainers+".all("+VarContainer+", (\n"+g.Expression+"\n))")
	case ScopePod:
		return bindPod("all", "(\n"+g.Expression+"\n)")
	default:
		return g.Expression
	}
}

// vapMessageExpression joins the messages of every offending container, so
// the cluster's denial names them all as the offline findings do.
func (g *Guardrail) vapMessageExpression() string {
	switch g.Scope {
	case ScopeContainer:
		return bindPod("map", "variables."+vapContainers+".filter("+VarContainer+", !(\n"+g.Expression+"\n)).map("+VarContainer+", (\n"+g.MessageExpression+"\n)).join('; ')") + "[0][0]"
	case ScopePod:
		return bindPod("map", "(\n"+g.MessageExpression+"\n)") + "[0][0]"
	default:
		return g.MessageExpression
	}
}
