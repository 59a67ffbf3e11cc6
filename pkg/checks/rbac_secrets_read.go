package checks

import (
	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/finding"
)

// rbacSecretsRead reports bindings that grant get, list or watch on core
// secrets (resource "secrets" of the "" API group, or a wildcard covering
// it). Allowed: no read access to secrets, or get on named secrets (reported
// one level lower). A "secrets" resource of another API group is not
// reported.
var rbacSecretsRead = newRBACRisk(rbac.RiskSecretsRead, finding.SeverityMedium,
	"Binding grants get, list or watch on Secrets",
	"Checks the rules each RoleBinding and ClusterRoleBinding grants for get, list or watch on secrets of the "+
		"core API group. list and watch return the values of every Secret of the namespace (of every namespace "+
		"for a ClusterRoleBinding): database passwords, TLS keys, cloud credentials and the legacy tokens of "+
		"other ServiceAccounts, which are often more privileged than the reader.",
	"Grant read access to secrets only to the subjects that need it, with get on the named secrets "+
		"(resourceNames) instead of list or watch; better, mount the secret into the pod and give its "+
		"ServiceAccount no secrets permission at all.",
	"CIS Kubernetes Benchmark 5.1.2", "NSA/CISA Kubernetes Hardening Guide: Authentication and authorization",
	"MITRE ATT&CK T1552.007")
