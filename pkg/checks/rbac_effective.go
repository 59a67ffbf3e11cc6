package checks

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/finding"
)

// effectiveRisks corrects the index's risks of a binding with what the API
// server does beyond the inventory:
//   - a role missing from the inventory but created by the API server in
//     every cluster is not dangling (manifests and charts bind to these
//     roles without shipping them): a binding of it to anonymous subjects,
//     and a binding to cluster-admin, are still risks;
//   - a RoleBinding without a namespace lands wherever it is applied: it is
//     not dangling when a Role of its roleRef's name exists somewhere;
//   - a RoleBinding grants nothing on cluster-scoped resources (the
//     authorizer only asks ClusterRoleBindings about them), so the risks that
//     are only about such resources do not apply to it, and those partly
//     about them only through their namespaced part.
func effectiveRisks(idx *rbac.Index, b *rbac.Binding, risks []rbac.Risk) []rbac.Risk {
	var out []rbac.Risk
	for _, r := range risks {
		switch {
		case r.ID == rbac.RiskBindingToMissingRole && (isDefaultRole(b) || roleElsewhere(idx, b)):
		case !b.Cluster() && clusterScopedRisks[r.ID]:
		case !b.Cluster() && !grantsInNamespace(b, r):
		default:
			out = append(out, r)
		}
	}
	if b.Role != nil || b.BuiltIn || !isDefaultRole(b) {
		return out
	}
	// The role's rules are not known, but the role exists and grants.
	if anonymous := anonymousSubjectNames(b); len(anonymous) > 0 {
		out = append(out, rbac.Risk{ID: rbac.RiskAnonymousAccess, Binding: b,
			What: b.RoleRef.Name + " granted to " + strings.Join(anonymous, " and ")})
	}
	if b.RoleRef.Kind == "ClusterRole" && b.RoleRef.Name == "cluster-admin" {
		what := "ClusterRole cluster-admin"
		if !b.Cluster() {
			what += " in namespace " + b.Namespace()
		}
		out = append(out, rbac.Risk{ID: rbac.RiskClusterAdminBinding, Binding: b, What: what})
	}
	return out
}

func anonymousSubjectNames(b *rbac.Binding) []string {
	var out []string
	for _, s := range b.Subjects {
		if isAnonymous(s) {
			out = append(out, s.Kind+" "+s.Name)
		}
	}
	return out
}

// isDefaultRole reports whether a binding's roleRef names a role the API
// server creates at start-up: the user-facing ClusterRoles and the system:
// ones, and the Roles of kube-system and kube-public. A ClusterRoleBinding
// may only refer to a ClusterRole.
func isDefaultRole(b *rbac.Binding) bool {
	name := b.RoleRef.Name
	switch b.RoleRef.Kind {
	case "ClusterRole":
		switch name {
		case "cluster-admin", "admin", "edit", "view":
			return true
		}
		return strings.HasPrefix(name, "system:")
	case "Role":
		switch {
		case b.Cluster():
			return false
		case b.Namespace() == "kube-system":
			return name == "extension-apiserver-authentication-reader" || strings.HasPrefix(name, "system:")
		case b.Namespace() == "kube-public":
			return strings.HasPrefix(name, "system:")
		}
	}
	return false
}

// roleElsewhere reports whether a RoleBinding without a namespace refers to
// a Role that exists in some namespace (kustomize bases and charts leave the
// namespace to the one applying them).
func roleElsewhere(idx *rbac.Index, b *rbac.Binding) bool {
	if b.Cluster() || b.Namespace() != "" || b.RoleRef.Kind != "Role" {
		return false
	}
	for _, r := range idx.Roles {
		if !r.Cluster() && r.Ref.Name == b.RoleRef.Name {
			return true
		}
	}
	return false
}

// namespacedRequests are, for the risks that are partly about
// cluster-scoped resources, the namespaced requests through which a
// RoleBinding can carry them: writing Roles and RoleBindings, binding or
// escalating roles (the escalation checks of a RoleBinding are asked in its
// namespace, for ClusterRoles too), impersonating ServiceAccounts. Users,
// groups, ClusterRoles and ClusterRoleBindings are cluster-scoped.
var namespacedRequests = map[finding.RuleID][]rbac.Request{
	rbac.RiskRBACWrite: requests(rbacv1.GroupName, []string{"create", "update", "patch", "delete", "deletecollection"}, "roles", "rolebindings"),
	rbac.RiskEscalate: append(requests(rbacv1.GroupName, []string{"bind", "escalate"}, "roles", "clusterroles"),
		requests("", []string{"impersonate"}, "serviceaccounts")...),
}

func requests(group string, verbs []string, resources ...string) []rbac.Request {
	var out []rbac.Request
	for _, res := range resources {
		for _, v := range verbs {
			out = append(out, rbac.Request{Verb: v, APIGroup: group, Resource: res, Namespace: "ns"})
		}
	}
	return out
}

// grantsInNamespace reports whether a granting rule of a RoleBinding's risk
// covers one of the risk's namespaced requests (resourceNames aside: a
// names-limited grant is still a grant). Risks without such a list are
// judged by the index alone.
func grantsInNamespace(b *rbac.Binding, r rbac.Risk) bool {
	reqs, partial := namespacedRequests[r.ID]
	if !partial || b.Role == nil {
		return true
	}
	for _, i := range r.Rules {
		rule := b.Role.Rules[i]
		rule.ResourceNames = nil
		for _, req := range reqs {
			if rbac.RuleAllows(&rule, req) {
				return true
			}
		}
	}
	return false
}

// clusterScopedRisks are the risks whose resources are all cluster-scoped:
// nodes, certificate signing requests, admission configuration, CRDs.
var clusterScopedRisks = map[finding.RuleID]bool{
	rbac.RiskNodesProxy:            true,
	rbac.RiskCSRApprove:            true,
	rbac.RiskAdmissionControlWrite: true,
}
