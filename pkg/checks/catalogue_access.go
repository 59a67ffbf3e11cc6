package checks

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// AccessReviewCommand is the command that reports the access review rules.
const AccessReviewCommand = "kharden access review"

// RuleAccessClusterAdminOutsideBreakGlass is the id of the access review's
// break-glass rule, shared with pkg/access so that it is written once.
const RuleAccessClusterAdminOutsideBreakGlass finding.RuleID = "access-cluster-admin-outside-break-glass"

// accessChecks are the rules of `kharden access review`, which looks at who
// holds which rights across all RBAC objects at once.
var accessChecks = []*Check{accessClusterAdminOutsideBreakGlass}

// AccessRules returns the rules `kharden access review` reports, for the
// review to read their metadata whether or not the catalogue lists them.
func AccessRules() []*Check { return accessChecks }

var accessClusterAdminOutsideBreakGlass = &Check{
	ID:       RuleAccessClusterAdminOutsideBreakGlass,
	Category: finding.CategoryIdentity,
	Severity: finding.SeverityHigh,
	Summary:  "a person or team holds cluster-admin rights outside the break-glass groups",
	Doc: "Runs only when .kharden.yaml lists breakGlassGroups. Reads every ClusterRoleBinding and the rules of the " +
		"ClusterRole it refers to (aggregation resolved) and reports the binding when it gives every verb on every " +
		"resource of every API group, without resourceNames (the ClusterRole cluster-admin or an equivalent), to a " +
		"User, or to a Group that is not one of breakGlassGroups. ServiceAccounts and system: names (the platform's " +
		"own identities) are left to the rbac-cluster-admin-binding rule. Standing cluster-admin rights for people " +
		"mean that one stolen laptop or phished session owns the cluster; a break-glass group is granted through " +
		"the identity provider only when needed, with approval and an audit trail.",
	Remediation: "Bind the people's day-to-day groups to narrower roles (admin or edit in their namespaces, view " +
		"cluster-wide), and grant cluster-admin only to the break-glass groups named in .kharden.yaml, whose " +
		"membership the identity provider grants temporarily.",
	References: []string{"CIS Kubernetes Benchmark 5.1.1", "NSA/CISA Kubernetes Hardening Guide: Authentication and authorization",
		"MITRE ATT&CK T1078"},
	Engine:  EngineAnalysis,
	Command: AccessReviewCommand,
	Kinds:   []schema.GroupKind{inventory.KindClusterRoleBinding},
}
