package checks

import (
	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/finding"
)

// writableRootFilesystem inspects securityContext.readOnlyRootFilesystem of
// every container, init container and ephemeral container. Allowed: true.
// Windows pods (spec.os.name: windows) are exempt: the API rejects the field
// there.
var writableRootFilesystem = &Check{
	ID:       "writable-root-filesystem",
	Category: finding.CategoryWorkload,
	Severity: finding.SeverityMedium,
	Summary:  "Container root filesystem is writable",
	Doc: "Inspects securityContext.readOnlyRootFilesystem of containers, initContainers and " +
		"ephemeralContainers. Allowed value: true. A writable root filesystem lets an attacker who " +
		"gets code execution drop tools and persist changes in the image layers. Pods with " +
		"spec.os.name: windows are exempt (the field does not exist there).",
	Remediation: "Set the root filesystem read-only and mount writable emptyDir volumes where the " +
		"application needs to write:\n\n" +
		"    securityContext:\n      readOnlyRootFilesystem: true\n" +
		"    volumeMounts:\n      - name: tmp\n        mountPath: /tmp\n",
	References: []string{"CIS Kubernetes Benchmark 5.7.3", refNSAImmutable, "MITRE ATT&CK T1036 Masquerading"},
	Engine:     EngineCEL,
	Guardrail: &cel.Guardrail{
		Scope: cel.ScopeContainer,
		Expression: `spec.?os.?name.orValue('') == 'windows' ||
  container.?securityContext.?readOnlyRootFilesystem.orValue(false) == true`,
		MessageExpression: containerName + ` + ' does not set securityContext.readOnlyRootFilesystem: true'`,
		FieldPath:         "securityContext.readOnlyRootFilesystem",
	},
}
