package checks

import (
	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/finding"
)

// rbacAnonymousAccess reports bindings with the subject User
// system:anonymous or Group system:unauthenticated whose role has any rule
// (a role the API server creates, such as view, counts when the inventory
// lacks it).
// Allowed: no binding to these subjects besides the API server's own
// (system:public-info-viewer and the discovery roles).
var rbacAnonymousAccess = newRBACRisk(rbac.RiskAnonymousAccess, finding.SeverityHigh,
	"Binding grants permissions to unauthenticated requests (system:anonymous, system:unauthenticated)",
	"Checks the subjects of each RoleBinding and ClusterRoleBinding for User system:anonymous and Group "+
		"system:unauthenticated. Requests without credentials are authenticated as these when the API server "+
		"allows anonymous requests (the default): whatever the role grants is open to anyone who can reach "+
		"the API server's port, no token needed.",
	"Remove system:anonymous and system:unauthenticated from the binding's subjects (bind "+
		"system:authenticated, or better a named group, instead), and run the API server with "+
		"--anonymous-auth=false or an anonymous authentication configuration limited to health endpoints.",
	"CIS Kubernetes Benchmark 1.2.1", "CIS Kubernetes Benchmark 5.1.1",
	"NSA/CISA Kubernetes Hardening Guide: Authentication and authorization", "MITRE ATT&CK T1078")
