package checks

import (
	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// missingResourceLimits inspects resources.limits.cpu and
// resources.limits.memory of containers and initContainers (ephemeral
// containers cannot set resources). Allowed: both set, on the container or as
// pod-level limits (spec.resources.limits).
var missingResourceLimits = &Check{
	ID:       "missing-resource-limits",
	Category: finding.CategoryWorkload,
	Severity: finding.SeverityMedium,
	Summary:  "Container has no CPU or memory limit",
	Doc: "Inspects resources.limits.cpu and resources.limits.memory of containers and " +
		"initContainers. Allowed: both present, either on the container or in the pod-level " +
		"spec.resources.limits. Without limits one compromised or runaway container can starve its " +
		"node (denial of service, crypto-mining).",
	Remediation: "Set both limits on every container:\n\n" +
		"    resources:\n      requests:\n        cpu: 100m\n        memory: 128Mi\n" +
		"      limits:\n        cpu: 500m\n        memory: 256Mi\n",
	References: []string{refNSAResources, "MITRE ATT&CK T1496 Resource Hijacking"},
	Engine:     EngineCEL,
	Guardrail: &cel.Guardrail{
		Scope:         cel.ScopeContainer,
		ContainerSets: []inventory.ContainerSet{inventory.Containers, inventory.InitContainers},
		Expression: `['cpu', 'memory'].all(r,
  container.?resources.?limits[?r].hasValue() || spec.?resources.?limits[?r].hasValue())`,
		MessageExpression: containerName + ` + ' has no ' + ['cpu', 'memory'].filter(r,
  !container.?resources.?limits[?r].hasValue() && !spec.?resources.?limits[?r].hasValue()).join(' and ') + ' limit'`,
		FieldPath: "resources.limits",
	},
}
