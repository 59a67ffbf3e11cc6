package checks

import (
	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/finding"
)

// rbacClusterAdminBinding reports bindings to the ClusterRole cluster-admin
// or to any role with a rule of every verb ("*") on every resource ("*") of
// every API group ("*") without resourceNames. Allowed: none outside the
// API server's own bindings. A RoleBinding of such a role is reported too:
// it gives full control of its namespace.
var rbacClusterAdminBinding = newRBACRisk(rbac.RiskClusterAdminBinding, finding.SeverityHigh,
	"Binding grants cluster-admin, or a role equivalent to it (every verb on every resource)",
	"Checks the role each RoleBinding and ClusterRoleBinding grants: the ClusterRole cluster-admin (even when "+
		"its definition is not in the scanned files) or a role with a rule of \"*\" verbs on \"*\" resources "+
		"of \"*\" API groups without resourceNames. Such a subject can do anything: read every Secret, run "+
		"privileged pods on every node, and grant itself anything it lacks. It is reported once here rather "+
		"than as every other RBAC risk the role implies.",
	"Bind cluster-admin only to a break-glass group whose use is audited; give each person and workload a "+
		"role with the verbs and resources it needs, bound with RoleBindings in its namespaces.",
	"CIS Kubernetes Benchmark 5.1.1", "CIS Kubernetes Benchmark 5.1.7",
	"NSA/CISA Kubernetes Hardening Guide: Authentication and authorization", "MITRE ATT&CK T1078")
