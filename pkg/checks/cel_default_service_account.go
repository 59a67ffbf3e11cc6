package checks

import (
	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/finding"
)

// defaultServiceAccount inspects spec.serviceAccountName of the pod, and the
// deprecated spec.serviceAccount when serviceAccountName is empty (the API
// server reads it the same way). Allowed: a name other than "default".
var defaultServiceAccount = &Check{
	ID:       "default-service-account",
	Category: finding.CategoryIdentity,
	Severity: finding.SeverityMedium,
	Summary:  "Pod runs as the default ServiceAccount",
	Doc: "Inspects spec.serviceAccountName of the pod (and the deprecated spec.serviceAccount " +
		"when serviceAccountName is empty). Allowed: a dedicated ServiceAccount, i.e. a name other " +
		"than default. Every workload on the default ServiceAccount shares its permissions, so " +
		"granting one app API access grants it to all of them.",
	Remediation: "Create a ServiceAccount per application and use it; turn off token mounting " +
		"unless the app calls the API:\n\n" +
		"    apiVersion: v1\n    kind: ServiceAccount\n    metadata:\n      name: api\n" +
		"    automountServiceAccountToken: false\n    ---\n" +
		"    # in the pod spec\n    serviceAccountName: api\n",
	References: []string{"CIS Kubernetes Benchmark 5.1.5", refNSAServiceAccounts, "MITRE ATT&CK T1528 Steal Application Access Token"},
	Engine:     EngineCEL,
	Guardrail: &cel.Guardrail{
		Scope: cel.ScopePod,
		Expression: `[spec.?serviceAccountName.orValue('') != '' ? spec.serviceAccountName : spec.?serviceAccount.orValue('')].all(sa,
  sa != '' && sa != 'default')`,
		MessageExpression: `[spec.?serviceAccountName.orValue('') != '' ? spec.serviceAccountName : spec.?serviceAccount.orValue('')].all(sa, sa == '') ?
  'pod sets no serviceAccountName, so it runs as the namespace default ServiceAccount' :
  'pod runs as the default ServiceAccount'`,
		FieldPath: "serviceAccountName",
	},
}
