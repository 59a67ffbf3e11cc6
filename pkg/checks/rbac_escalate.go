package checks

import (
	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/finding"
)

// rbacEscalate reports bindings that grant bind or escalate on roles or
// clusterroles, or impersonate on users, groups, serviceaccounts, uids or
// user extras. Allowed: none of these verbs.
var rbacEscalate = newRBACRisk(rbac.RiskEscalate, finding.SeverityHigh,
	"Binding grants bind, escalate or impersonate: a way around RBAC's own escalation checks",
	"Checks the rules each RoleBinding and ClusterRoleBinding grants for bind and escalate on roles and "+
		"clusterroles (rbac.authorization.k8s.io) and impersonate on users, groups, serviceaccounts, uids and "+
		"userextras. RBAC normally stops a subject from granting more than it holds; escalate lifts that check "+
		"on role edits, bind on bindings, and impersonate lets the subject act as any identity, cluster-admin "+
		"included.",
	"Remove bind, escalate and impersonate from roles held by people and workloads; the few controllers that "+
		"need them should be limited to the named roles or identities (resourceNames).",
	"CIS Kubernetes Benchmark 5.1.8", "NSA/CISA Kubernetes Hardening Guide: Authentication and authorization",
	"MITRE ATT&CK T1098", "MITRE ATT&CK T1078")
