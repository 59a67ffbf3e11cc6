package checks

import (
	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/finding"
)

// rbacCSRApprove reports bindings that grant update or patch on
// certificatesigningrequests/approval (certificates.k8s.io). Allowed: no
// such grant.
var rbacCSRApprove = newRBACRisk(rbac.RiskCSRApprove, finding.SeverityHigh,
	"Binding grants approving certificate signing requests",
	"Checks the rules each RoleBinding and ClusterRoleBinding grants for update or patch on "+
		"certificatesigningrequests/approval. A subject that can create and approve a CSR for the "+
		"kube-apiserver-client signer obtains a client certificate for any user or group it names, "+
		"system:masters included, which cannot be revoked short of rotating the cluster CA."+
		" Only ClusterRoleBindings are reported: these resources are cluster-scoped, and a RoleBinding "+
		"grants nothing on them.",
	"Leave CSR approval to the controller manager and to a dedicated approver limited to its signer "+
		"(the approve verb on signers with resourceNames); remove the approval subresource from other roles.",
	"CIS Kubernetes Benchmark 5.1.11", "NSA/CISA Kubernetes Hardening Guide: Authentication and authorization",
	"MITRE ATT&CK T1649")
