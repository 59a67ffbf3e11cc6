package access

import (
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/inventory"
)

// CanAnswer lists the rules a subject holds, cluster-wide first, then per
// namespace.
type CanAnswer struct {
	Subject Subject `json:"subject"`
	// Privileged: a member of system:masters, allowed everything by the API
	// server before RBAC is asked.
	Privileged bool `json:"privileged"`
	// ClusterAdmin: every verb on every resource cluster-wide, through
	// system:masters or a ClusterRoleBinding.
	ClusterAdmin bool             `json:"clusterAdmin"`
	Namespaces   []NamespaceRules `json:"namespaces"`
	Warnings     []string         `json:"warnings"`
}

// NamespaceRules are the rules a subject holds in one namespace (through
// RoleBindings there), or cluster-wide when Namespace is empty (through
// ClusterRoleBindings: in every namespace and on cluster-scoped resources).
type NamespaceRules struct {
	Namespace string     `json:"namespace"`
	Rules     []HeldRule `json:"rules"`
}

// HeldRule is one policy rule a subject holds, and the grant it comes from.
type HeldRule struct {
	Verbs           []string `json:"verbs"`
	APIGroups       []string `json:"apiGroups"`
	Resources       []string `json:"resources"`
	ResourceNames   []string `json:"resourceNames"`
	NonResourceURLs []string `json:"nonResourceURLs"`
	Via             Via      `json:"via"`
}

// Can lists what a subject may do according to the RBAC objects of the
// inventory: every rule bound to it or to one of its groups (a Group
// subject: to that group only). With namespace set, only the cluster-wide
// rules (they apply there too) and those of that namespace are listed.
func Can(inv *inventory.Inventory, sub Subject, namespace string) (*CanAnswer, error) {
	if err := rbCheckText("namespace", namespace); err != nil {
		return nil, err
	}
	x := rbac.For(inv)
	u := sub.User()
	a := &CanAnswer{Subject: sub, Privileged: rbac.IsPrivileged(u), Warnings: []string{}}
	keep := func(g rbac.Grant) bool { return sub.Kind != rbacv1.GroupKind || g.Subject.Kind == rbacv1.GroupKind }
	a.ClusterAdmin = a.Privileged
	for _, g := range rbAdminGrants(x, u) {
		a.ClusterAdmin = a.ClusterAdmin || keep(g)
	}
	cluster := &NamespaceRules{Rules: []HeldRule{}}
	byNS := map[string]*NamespaceRules{}
	var order []string
	if namespace != "" {
		byNS[namespace] = &NamespaceRules{Namespace: namespace, Rules: []HeldRule{}}
		order = append(order, namespace)
	}
	unplaced := map[*rbac.Binding]bool{}
	for _, p := range x.Permissions(u) {
		g := p.Grant
		if !keep(g) {
			continue
		}
		if !g.Binding.Cluster() && p.Namespace == "" {
			if !unplaced[g.Binding] {
				unplaced[g.Binding] = true
				a.Warnings = append(a.Warnings, fmt.Sprintf("%s has no namespace: it grants nothing until it is created in one", g.Binding.Ref))
			}
			continue
		}
		rule := rbHeldRule(g)
		if p.Namespace == "" {
			cluster.Rules = append(cluster.Rules, rule)
			continue
		}
		if namespace != "" && p.Namespace != namespace {
			continue
		}
		nr := byNS[p.Namespace]
		if nr == nil {
			nr = &NamespaceRules{Namespace: p.Namespace, Rules: []HeldRule{}}
			byNS[p.Namespace] = nr
			order = append(order, p.Namespace)
		}
		nr.Rules = append(nr.Rules, rule)
	}
	a.Namespaces = []NamespaceRules{*cluster}
	for _, ns := range order {
		a.Namespaces = append(a.Namespaces, *byNS[ns])
	}
	a.Warnings = append(a.Warnings, rbIndexWarnings(x)...)
	return a, nil
}

func rbHeldRule(g rbac.Grant) HeldRule {
	r := g.PolicyRule()
	return HeldRule{
		Verbs: rbList(r.Verbs), APIGroups: rbList(r.APIGroups), Resources: rbList(r.Resources),
		ResourceNames: rbList(r.ResourceNames), NonResourceURLs: rbList(r.NonResourceURLs),
		Via: rbVia(g),
	}
}

// rbList gives JSON an empty array rather than null.
func rbList(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
