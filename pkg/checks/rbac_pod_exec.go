package checks

import (
	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/finding"
)

// rbacPodExec reports bindings that grant pods/exec, pods/attach or
// pods/portforward (create or get), or update or patch on
// pods/ephemeralcontainers. Allowed: access to pods without these
// subresources (pods does not imply pods/exec).
var rbacPodExec = newRBACRisk(rbac.RiskPodExec, finding.SeverityMedium,
	"Binding grants exec, attach, port-forward or ephemeral containers in pods",
	"Checks the rules each RoleBinding and ClusterRoleBinding grants for the pods/exec, pods/attach and "+
		"pods/portforward subresources (create, and get for the older clients) and for update or patch on "+
		"pods/ephemeralcontainers. Each runs commands inside running containers or reaches their ports: the "+
		"subject gets the container's files, environment (secrets included) and ServiceAccount token.",
	"Grant exec and attach only for break-glass debugging, to a group whose members are audited, in the "+
		"namespaces concerned; use logs and metrics for day-to-day work.",
	"NSA/CISA Kubernetes Hardening Guide: Authentication and authorization", "MITRE ATT&CK T1609")
