package checks

import (
	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/finding"
)

// rbacWorkloadCreate reports bindings that grant create on pods, or create,
// update or patch on a pod controller (replicationcontrollers; apps
// deployments, replicasets, statefulsets, daemonsets; batch jobs,
// cronjobs). Allowed: read-only access to workloads.
var rbacWorkloadCreate = newRBACRisk(rbac.RiskWorkloadCreate, finding.SeverityMedium,
	"Binding grants creating pods or pod controllers, which runs code as any ServiceAccount of the namespace",
	"Checks the rules each RoleBinding and ClusterRoleBinding grants for create on pods, or create, update or "+
		"patch on replicationcontrollers, deployments, replicasets, statefulsets, daemonsets, jobs and cronjobs. "+
		"Whoever can create a pod chooses its ServiceAccount, image, volumes and host settings: it runs code "+
		"with the token of any ServiceAccount of the namespace and reads any Secret it mounts, whatever its "+
		"own RBAC says; with a permissive Pod Security level it escapes to the node.",
	"Let a deployment pipeline or a GitOps controller create workloads, and give people and applications "+
		"read-only access; where create is needed, keep it in a namespace whose ServiceAccounts hold no more "+
		"than the subject itself and that enforces the restricted Pod Security Standard.",
	"CIS Kubernetes Benchmark 5.1.4", "NSA/CISA Kubernetes Hardening Guide: Authentication and authorization",
	"MITRE ATT&CK T1610", "MITRE ATT&CK T1078")
