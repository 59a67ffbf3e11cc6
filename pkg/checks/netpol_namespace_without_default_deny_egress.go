package checks

import "github.com/kharden/kharden/pkg/finding"

// netpolNoDefaultDenyEgress reports namespaces without a default deny for
// egress: no NetworkPolicy of the namespace has an empty podSelector ({})
// with Egress among its policyTypes (listed, or defaulted from egress
// rules), or such a policy also has an egress rule admitting every peer on
// every port. Reported on the Namespace object, or on the first workload
// of a namespace without one in the input; one severity lower without
// workloads. Allowed: a namespace-wide egress deny with allows beside it
// (DNS to kube-system, an internet ipBlock on 443). A policy without
// policyTypes and without egress rules isolates ingress only.
var netpolNoDefaultDenyEgress = newNetpolDefaultDeny("namespace-without-default-deny-egress", true, finding.SeverityLow,
	"Namespace has no default-deny egress NetworkPolicy",
	"Checks each namespace for a NetworkPolicy with podSelector {} whose policyTypes include Egress (listed, or "+
		"defaulted from an egress section) and that does not also allow every peer on every port. Without it, a pod "+
		"no other policy selects for egress may connect anywhere: other namespaces' databases, the cloud metadata "+
		"endpoint and its credentials, any host on the internet for exfiltration or a command channel. The finding "+
		"lists the workloads whose egress is open today. A namespace without workloads in the input is reported one "+
		"severity lower.",
	"Add a default deny for egress (spec: {podSelector: {}, policyTypes: [Egress]}) together with the egress the "+
		"pods need: DNS to kube-system (UDP and TCP 53), the services they call, and internet ranges only where "+
		"needed, with 169.254.169.254/32 excepted.",
	"MITRE ATT&CK T1048")
