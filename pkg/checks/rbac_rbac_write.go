package checks

import (
	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/finding"
)

// rbacRBACWrite reports bindings that grant create, update, patch, delete
// or deletecollection on roles, rolebindings, clusterroles or
// clusterrolebindings (rbac.authorization.k8s.io). Allowed: read-only
// access to RBAC objects.
var rbacRBACWrite = newRBACRisk(rbac.RiskRBACWrite, finding.SeverityMedium,
	"Binding grants writing Roles, ClusterRoles or their bindings",
	"Checks the rules each RoleBinding and ClusterRoleBinding grants for write verbs on roles, rolebindings, "+
		"clusterroles and clusterrolebindings. RBAC's escalation checks let a subject grant only what it holds, "+
		"but within that it can hand its permissions to any identity, keep them after its own binding is "+
		"removed, and, with bind or escalate (rbac-escalate), go beyond them; deleting bindings removes other "+
		"subjects' access.",
	"Manage RBAC objects from the platform's deployment pipeline; remove write access to roles and bindings "+
		"from applications and people, or limit it to named objects.",
	"CIS Kubernetes Benchmark 5.1.8", "NSA/CISA Kubernetes Hardening Guide: Authentication and authorization",
	"MITRE ATT&CK T1098")
