package checks

import (
	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/finding"
)

// rbacWildcard reports bindings whose role has a rule with "*" in verbs,
// apiGroups, resources or nonResourceURLs. Allowed: rules that list the
// verbs, groups and resources they need. A rule of every verb on every
// resource is rbac-cluster-admin-binding instead.
var rbacWildcard = newRBACRisk(rbac.RiskWildcard, finding.SeverityMedium,
	"Binding grants a role whose rules use wildcards (*) in verbs, apiGroups, resources or nonResourceURLs",
	"Checks the rules of the Role or ClusterRole each RoleBinding and ClusterRoleBinding grants, and reports "+
		"the binding when a rule has \"*\" in verbs, apiGroups, resources or nonResourceURLs. Allowed: explicit "+
		"lists. A wildcard grants what does not exist yet: every resource a future CRD or API version adds, "+
		"every verb (escalate, bind, impersonate included) a resource gains, so the grant silently widens.",
	"Replace each \"*\" with the verbs, API groups and resources the subject needs (kubectl auth can-i --list "+
		"shows what it uses), and bind the role with a RoleBinding in the namespaces where it is needed.",
	"CIS Kubernetes Benchmark 5.1.3", "NSA/CISA Kubernetes Hardening Guide: Authentication and authorization",
	"MITRE ATT&CK T1078")
