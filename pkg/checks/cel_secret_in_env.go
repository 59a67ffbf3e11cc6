package checks

import (
	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/finding"
)

// secretInEnv inspects env[].valueFrom.secretKeyRef and envFrom[].secretRef
// of every container, init container and ephemeral container. Allowed:
// neither; Secrets are mounted as files. One finding per offending entry.
var secretInEnv = &Check{
	ID:       "secret-in-env",
	Category: finding.CategorySecrets,
	Severity: finding.SeverityMedium,
	Summary:  "Secret exposed through environment variables",
	Doc: "Inspects env[].valueFrom.secretKeyRef and envFrom[].secretRef of containers, " +
		"initContainers and ephemeralContainers. Allowed: none. Environment variables leak into " +
		"logs, crash reports, child processes and `kubectl describe`-style tooling; files mounted " +
		"from a Secret volume do not, and are updated when the Secret changes.",
	Remediation: "Mount the Secret as files and read them from the application:\n\n" +
		"    volumes:\n      - name: db\n        secret:\n          secretName: db-credentials\n" +
		"    containers:\n      - name: api\n        volumeMounts:\n          - name: db\n" +
		"            mountPath: /var/run/secrets/db\n            readOnly: true\n",
	References: []string{"CIS Kubernetes Benchmark 5.4.1", refNSASecrets, "MITRE ATT&CK T1552.007 Container API"},
	Engine:     EngineCEL,
	Guardrail: &cel.Guardrail{
		Scope: cel.ScopeContainer,
		Expression: `!container.?env.orValue([]).exists(e, e.?valueFrom.?secretKeyRef.hasValue()) &&
  !container.?envFrom.orValue([]).exists(e, e.?secretRef.hasValue())`,
		MessageExpression: containerName + ` + ' reads Secret values into environment variables'`,
		FieldPathsExpression: `container.?env.orValue([]).transformList(i, e, e.?valueFrom.?secretKeyRef.hasValue(), 'env[' + string(i) + ']') +
  container.?envFrom.orValue([]).transformList(i, e, e.?secretRef.hasValue(), 'envFrom[' + string(i) + ']')`,
	},
}
