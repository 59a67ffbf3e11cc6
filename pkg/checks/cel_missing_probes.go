package checks

import (
	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// missingProbes inspects livenessProbe and readinessProbe of regular
// containers (init and sidecar containers are not probed for readiness).
// Allowed: both present. Pods that run to completion are exempt: Jobs and
// CronJobs are not in Kinds, and a pod with restartPolicy Never or OnFailure,
// or owned by a Job, is skipped by the expression itself so the exported
// policy exempts the same pods.
var missingProbes = &Check{
	ID:       "missing-probes",
	Category: finding.CategoryWorkload,
	Severity: finding.SeverityLow,
	Summary:  "Container has no liveness or readiness probe",
	Doc: "Inspects livenessProbe and readinessProbe of spec containers (not initContainers, which " +
		"include sidecars, nor ephemeralContainers). Allowed: both set. Not checked for Jobs, " +
		"CronJobs, and pods with restartPolicy Never or OnFailure or owned by a Job.",
	Remediation: "Add both probes:\n\n" +
		"    livenessProbe:\n      httpGet:\n        path: /healthz\n        port: 8080\n" +
		"    readinessProbe:\n      httpGet:\n        path: /ready\n        port: 8080\n",
	References: []string{refNSAAppSecurity},
	Engine:     EngineCEL,
	Kinds:      workloadKindsExcept(inventory.KindJob, inventory.KindCronJob),
	Guardrail: &cel.Guardrail{
		Scope:         cel.ScopeContainer,
		ContainerSets: []inventory.ContainerSet{inventory.Containers},
		Expression: `spec.?restartPolicy.orValue('Always') in ['Never', 'OnFailure'] ||
  podMeta.?ownerReferences.orValue([]).exists(o, o.?kind.orValue('') == 'Job') ||
  (has(container.livenessProbe) && has(container.readinessProbe))`,
		MessageExpression: containerName + ` + ' has no ' +
  ['livenessProbe', 'readinessProbe'].filter(p, !(p in container)).join(' and ')`,
		FieldPathsExpression: `['livenessProbe', 'readinessProbe'].filter(p, !(p in container))`,
	},
}
