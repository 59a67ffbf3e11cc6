package checks

import (
	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/finding"
)

// rbacTokenCreate reports bindings that grant create on
// serviceaccounts/token. Allowed: no such grant, or one limited to named
// ServiceAccounts (reported one level lower).
var rbacTokenCreate = newRBACRisk(rbac.RiskTokenCreate, finding.SeverityMedium,
	"Binding grants creating ServiceAccount tokens (serviceaccounts/token)",
	"Checks the rules each RoleBinding and ClusterRoleBinding grants for create on the serviceaccounts/token "+
		"subresource (the TokenRequest API). The subject can mint a token for any ServiceAccount in scope and "+
		"act with its permissions, with an expiry of its choosing up to the API server's maximum.",
	"Remove the grant, or limit it to the ServiceAccounts that must be issued tokens (resourceNames) in "+
		"their own namespace.",
	"CIS Kubernetes Benchmark 5.1.13", "NSA/CISA Kubernetes Hardening Guide: Authentication and authorization",
	"MITRE ATT&CK T1528", "MITRE ATT&CK T1078")
