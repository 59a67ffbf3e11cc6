package checks

import (
	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// missingOwnerLabel inspects metadata.labels and metadata.annotations of
// workload objects and Namespaces. Allowed: at least one of
// params.data.ownerKeys (ownerKeys in .kharden.yaml; default team, owner,
// app.kubernetes.io/part-of-team) set to a non-empty value as a label or an
// annotation.
var missingOwnerLabel = &Check{
	ID:       "missing-owner-label",
	Category: finding.CategoryGovernance,
	Severity: finding.SeverityLow,
	Summary:  "Object names no owning team",
	Doc: "Inspects metadata.labels and metadata.annotations of workloads (Pod, Deployment, " +
		"StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate) and " +
		"Namespaces. Allowed: one of the configured owner keys (ownerKeys; default team, owner, " +
		"app.kubernetes.io/part-of-team) present with a non-empty value, as label or annotation. " +
		"Findings, alerts and exceptions need someone to route them to.",
	Remediation: "Label the object with its owning team:\n\n" +
		"    metadata:\n      labels:\n        team: payments\n",
	References: []string{refNSANamespaces, "CIS Kubernetes Benchmark 5.7.1"},
	Engine:     EngineCEL,
	Kinds:      append(workloadKindsExcept(), inventory.KindNamespace),
	Guardrail: &cel.Guardrail{
		Scope: cel.ScopeObject,
		Expression: `params.?data.?ownerKeys.orValue('') == '' ||
  params.data.ownerKeys.split(',').exists(k, k != '' &&
    (object.?metadata.?labels[?k].orValue('') != '' || object.?metadata.?annotations[?k].orValue('') != ''))`,
		MessageExpression: `'no owner: set one of ' + params.data.ownerKeys.split(',').join(', ') + ' as a label or annotation'`,
		FieldPath:         "metadata.labels",
	},
}
