package checks

import (
	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/finding"
)

// rbacBindingToMissingRole reports bindings whose roleRef names a Role or
// ClusterRole that is not in the inventory, and ClusterRoleBindings that
// refer to a Role. Allowed: a roleRef to a role of the inventory, or to a
// role the API server creates itself (the ClusterRoles cluster-admin, admin,
// edit, view and system:*; the Roles extension-apiserver-authentication-reader
// and system:* of kube-system, system:* of kube-public). A RoleBinding
// without a namespace is not reported when a Role of that name exists in
// some namespace: it lands wherever it is applied.
var rbacBindingToMissingRole = newRBACRisk(rbac.RiskBindingToMissingRole, finding.SeverityLow,
	"Binding refers to a role that does not exist",
	"Checks the roleRef of each RoleBinding and ClusterRoleBinding against the Roles and ClusterRoles of the "+
		"inventory; a role the API server creates itself (the ClusterRoles cluster-admin, admin, edit, view and "+
		"system:*, the Roles extension-apiserver-authentication-reader and system:* of kube-system) counts as "+
		"present, and a RoleBinding without a namespace finds its Role in any namespace. A dangling binding grants nothing today, but it is a loaded grant: whoever can "+
		"create a role of that name (a namespace admin for a Role) decides at once what its subjects may do. "+
		"It is often left over from an uninstalled chart or a typo that leaves the subject without the access "+
		"it was meant to have. Scan the whole cluster (or every manifest) for this rule to be meaningful.",
	"Delete the binding, or create the role it refers to (check the roleRef's kind and name for a typo).",
	"NSA/CISA Kubernetes Hardening Guide: Authentication and authorization", "MITRE ATT&CK T1098")
