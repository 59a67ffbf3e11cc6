package checks

// rbacChecks lists the RBAC risk rules: each reports the bindings that
// grant one risky capability, read from the effective-permission index
// (pkg/analysis/rbac).
var rbacChecks = []*Check{
	rbacWildcard,
	rbacSecretsRead,
	rbacWorkloadCreate,
	rbacPodExec,
	rbacEscalate,
	rbacTokenCreate,
	rbacNodesProxy,
	rbacCSRApprove,
	rbacAdmissionControlWrite,
	rbacRBACWrite,
	rbacClusterAdminBinding,
	rbacAnonymousAccess,
	rbacBindingToMissingRole,
}
