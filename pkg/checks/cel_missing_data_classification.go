package checks

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// missingDataClassification inspects metadata.labels of Namespaces. Allowed:
// the label named by params.data.dataClassificationKey
// (dataClassificationKey in .kharden.yaml; default data-classification) with
// a non-empty value.
var missingDataClassification = &Check{
	ID:       "missing-data-classification",
	Category: finding.CategoryGovernance,
	Severity: finding.SeverityLow,
	Summary:  "Namespace has no data-classification label",
	Doc: "Inspects metadata.labels of Namespaces. Allowed: the configured data-classification " +
		"label (dataClassificationKey; default data-classification) with a non-empty value, e.g. " +
		"public, internal, confidential, restricted. Controls and rollouts are prioritised by how " +
		"sensitive the data in a namespace is.",
	Remediation: "Label the namespace with the sensitivity of its data:\n\n" +
		"    apiVersion: v1\n    kind: Namespace\n    metadata:\n      name: payments\n" +
		"      labels:\n        data-classification: confidential\n",
	References: []string{refNSANamespaces, "CIS Kubernetes Benchmark 5.7.1"},
	Engine:     EngineCEL,
	Kinds:      []schema.GroupKind{inventory.KindNamespace},
	Guardrail: &cel.Guardrail{
		Scope: cel.ScopeObject,
		Expression: `params.?data.?dataClassificationKey.orValue('') == '' ||
  object.?metadata.?labels[?params.data.dataClassificationKey].orValue('') != ''`,
		MessageExpression: `'namespace has no ' + params.data.dataClassificationKey + ' label'`,
		FieldPath:         "metadata.labels",
	},
}
