package checks

import "github.com/kharden/kharden/pkg/finding"

// netpolNoDefaultDenyIngress reports namespaces without a default deny for
// ingress: no NetworkPolicy of the namespace has an empty podSelector
// ({}) with Ingress among its (defaulted) policyTypes, or such a policy
// also has an ingress rule admitting every peer on every port. Reported on
// the Namespace object, or, for a namespace the input has workloads in but
// no Namespace object for, on its first workload. A namespace without
// workloads in the input is reported one severity lower. Allowed: any
// namespace-wide policy isolating ingress, whatever else it allows (a
// same-namespace allow, ports for an ingress controller). An egress-only
// policy (policyTypes [Egress]) is not an ingress deny, and a policy of
// another namespace does not count.
var netpolNoDefaultDenyIngress = newNetpolDefaultDeny("namespace-without-default-deny-ingress", false, finding.SeverityMedium,
	"Namespace has no default-deny ingress NetworkPolicy",
	"Checks each namespace for a NetworkPolicy with podSelector {} whose policyTypes (as the API server defaults "+
		"them) include Ingress, and that does not also allow every peer on every port. Without it, a pod no other "+
		"policy selects accepts connections from every pod of the cluster and from outside: one compromised pod "+
		"anywhere reaches every service of the namespace, and a new workload is exposed until someone writes its "+
		"policy. The finding lists the workloads of the namespace that are open today. A namespace without workloads "+
		"in the input is reported one severity lower.",
	"Add a default deny to the namespace (kind: NetworkPolicy, spec: {podSelector: {}, policyTypes: [Ingress]}), then "+
		"allow each flow the applications need with policies selecting their pods; `kharden netpol coverage` shows "+
		"what is still open.",
	"MITRE ATT&CK T1210")
