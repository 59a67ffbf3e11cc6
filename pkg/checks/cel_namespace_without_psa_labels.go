package checks

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// namespaceWithoutPSALabels inspects the pod-security.kubernetes.io/enforce
// label of Namespaces. Allowed: privileged, baseline or restricted. The warn
// and audit labels are not required: they help a rollout (see PC2) but do
// not protect anything, and enforce alone is a complete decision.
var namespaceWithoutPSALabels = &Check{
	ID:       "namespace-without-psa-labels",
	Category: finding.CategoryGovernance,
	Severity: finding.SeverityMedium,
	Summary:  "Namespace does not enforce a Pod Security Standard",
	Doc: "Inspects the metadata.labels['pod-security.kubernetes.io/enforce'] label of Namespaces. " +
		"Allowed values: privileged, baseline, restricted (an explicit privileged is a recorded " +
		"decision; other rules judge it). The warn and audit labels are optional. Without " +
		"enforce, Pod Security Admission applies the cluster default, usually privileged.",
	Remediation: "Label the namespace with the level it must enforce (and warn/audit at the next " +
		"level while you migrate):\n\n" +
		"    metadata:\n      labels:\n        pod-security.kubernetes.io/enforce: baseline\n" +
		"        pod-security.kubernetes.io/warn: restricted\n        pod-security.kubernetes.io/audit: restricted\n",
	References: []string{"CIS Kubernetes Benchmark 5.2.1", refNSAPodSecurityEnf, "PSS: Pod Security Admission namespace labels"},
	Engine:     EngineCEL,
	Kinds:      []schema.GroupKind{inventory.KindNamespace},
	Guardrail: &cel.Guardrail{
		Scope: cel.ScopeObject,
		Expression: `object.?metadata.?labels[?'pod-security.kubernetes.io/enforce'].orValue('') in
  ['privileged', 'baseline', 'restricted']`,
		MessageExpression: `object.?metadata.?labels[?'pod-security.kubernetes.io/enforce'].hasValue() ?
  'namespace label pod-security.kubernetes.io/enforce is not privileged, baseline or restricted' :
  'namespace has no pod-security.kubernetes.io/enforce label'`,
		FieldPath: "metadata.labels",
	},
}
