package checks

import (
	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/finding"
)

// rbacNodesProxy reports bindings that grant any verb on the nodes/proxy
// subresource. Allowed: no access to nodes/proxy (nodes, nodes/metrics and
// nodes/stats are other resources).
var rbacNodesProxy = newRBACRisk(rbac.RiskNodesProxy, finding.SeverityHigh,
	"Binding grants nodes/proxy: direct access to every kubelet's API",
	"Checks the rules each RoleBinding and ClusterRoleBinding grants for get, create, update, patch or delete "+
		"on nodes/proxy. Through it the API server forwards requests to the kubelet, whose API runs commands "+
		"in any container of the node (exec, run) without the pods/exec permission, and without the request "+
		"appearing as an exec in the audit log."+
		" Only ClusterRoleBindings are reported: these resources are cluster-scoped, and a RoleBinding "+
		"grants nothing on them.",
	"Give monitoring agents nodes/metrics and nodes/stats instead of nodes/proxy; remove nodes/proxy from "+
		"every role not held by the control plane.",
	"CIS Kubernetes Benchmark 5.1.10", "NSA/CISA Kubernetes Hardening Guide: Authentication and authorization",
	"MITRE ATT&CK T1611", "MITRE ATT&CK T1609")
