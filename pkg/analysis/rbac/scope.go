package rbac

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// clusterScopedRisks are the risks whose resources are all cluster-scoped
// (nodes, certificate signing requests, admission configuration, CRDs): a
// RoleBinding cannot carry them, since the authorizer asks only
// ClusterRoleBindings about cluster-scoped resources.
var clusterScopedRisks = map[finding.RuleID]bool{
	RiskNodesProxy:            true,
	RiskCSRApprove:            true,
	RiskAdmissionControlWrite: true,
}

// namespacedRequests are, for the risks partly about cluster-scoped
// resources, the namespaced requests through which a RoleBinding carries
// them: writing Roles and RoleBindings, binding or escalating roles (asked
// in the RoleBinding's namespace, for ClusterRoles too), impersonating
// ServiceAccounts. Users, groups, ClusterRoles and ClusterRoleBindings are
// cluster-scoped.
var namespacedRequests = map[finding.RuleID][]Request{
	RiskRBACWrite: requestsFor(rbacv1.GroupName, writeVerbs, "roles", "rolebindings"),
	RiskEscalate: append(requestsFor(rbacv1.GroupName, []string{"bind", "escalate"}, "roles", "clusterroles"),
		requestsFor("", []string{"impersonate"}, "serviceaccounts")...),
}

func requestsFor(group string, verbs []string, resources ...string) []Request {
	var out []Request
	for _, res := range resources {
		for _, v := range verbs {
			out = append(out, Request{Verb: v, APIGroup: group, Resource: res, Namespace: "ns"})
		}
	}
	return out
}

// inScope reports whether a binding can carry a risk at all: every risk for
// a ClusterRoleBinding; for a RoleBinding, none about cluster-scoped
// resources only, and those partly about them only through a namespaced
// request a granting rule covers (resourceNames aside).
func inScope(b *Binding, r Risk) bool {
	if b.Cluster() || b.Role == nil {
		return true
	}
	if clusterScopedRisks[r.ID] {
		return false
	}
	reqs, partial := namespacedRequests[r.ID]
	if !partial {
		return true
	}
	for _, i := range r.Rules {
		rule := b.Role.Rules[i]
		rule.ResourceNames = nil
		for _, req := range reqs {
			if RuleAllows(&rule, req) {
				return true
			}
		}
	}
	return false
}

// providedElsewhere reports whether a dangling roleRef names a role the
// input does not hold but the cluster will: a system: role made by a
// component (the API server's own defaults are embedded), or a Role of a
// namespace-less RoleBinding that exists in some namespace (kustomize bases
// and charts leave the namespace to whoever applies them).
func (x *Index) providedElsewhere(b *Binding) bool {
	name := b.RoleRef.Name
	switch b.RoleRef.Kind {
	case "ClusterRole":
		return strings.HasPrefix(name, "system:")
	case "Role":
		if b.Cluster() {
			return false
		}
		if strings.HasPrefix(name, "system:") && (b.Namespace() == "kube-system" || b.Namespace() == "kube-public") {
			return true
		}
		if written, _ := inventory.MapAt(b.Object.Content, "metadata")["namespace"].(string); written == "" {
			for _, r := range x.Roles {
				if !r.Cluster() && r.Ref.Name == name {
					return true
				}
			}
		}
	}
	return false
}
