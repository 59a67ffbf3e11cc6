package access

import (
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/pkg/analysis/rbac"
)

// Style is the kind of rights a group holds, judged from its effective
// permissions.
type Style string

// Styles, from the most to the least powerful.
const (
	// StyleAdmin: every verb on every resource cluster-wide.
	StyleAdmin Style = "admin"
	// StyleSecurity: writes RBAC or admission configuration, impersonates,
	// or reads Secrets, cluster-wide.
	StyleSecurity Style = "security"
	// StyleOps: writes workloads or nodes cluster-wide.
	StyleOps Style = "ops"
	// StyleDev: writes workloads in some namespaces only.
	StyleDev Style = "dev"
	// StyleOther: writes something, but none of the above.
	StyleOther Style = "other"
	// StyleReadOnly: only get, list and watch (and self-reviews).
	StyleReadOnly Style = "read-only"
	// StyleNone: bound, but the bindings grant nothing (dangling roles).
	StyleNone Style = "none"
)

var rbStyleRank = map[Style]int{StyleAdmin: 0, StyleSecurity: 1, StyleOps: 2, StyleDev: 3, StyleOther: 4, StyleReadOnly: 5, StyleNone: 6}

// GroupCoverage is a group with the style of its rights and the namespaces
// they reach ("*" for cluster-wide).
type GroupCoverage struct {
	Name       string   `json:"name"`
	Style      Style    `json:"style"`
	Namespaces []string `json:"namespaces"`
}

// rbProbe is a capability: any of the verbs on any of the resources of
// one API group.
type rbProbe struct {
	verbs     []string
	group     string
	resources []string
}

var rbWriteVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}

var (
	rbSecurityProbes = []rbProbe{
		{append([]string{"bind", "escalate"}, rbWriteVerbs...), "rbac.authorization.k8s.io", []string{"roles", "rolebindings", "clusterroles", "clusterrolebindings"}},
		{[]string{"impersonate"}, "", []string{"users", "groups", "serviceaccounts"}},
		{rbWriteVerbs, "admissionregistration.k8s.io", []string{"mutatingwebhookconfigurations", "validatingwebhookconfigurations",
			"validatingadmissionpolicies", "validatingadmissionpolicybindings", "mutatingadmissionpolicies", "mutatingadmissionpolicybindings"}},
		{[]string{"get", "list", "watch"}, "", []string{"secrets"}},
	}
	rbWorkloadProbes = []rbProbe{
		{rbWriteVerbs, "", []string{"pods", "replicationcontrollers"}},
		{rbWriteVerbs, "apps", []string{"deployments", "replicasets", "statefulsets", "daemonsets"}},
		{rbWriteVerbs, "batch", []string{"jobs", "cronjobs"}},
	}
	rbNodeProbes = []rbProbe{{rbWriteVerbs, "", []string{"nodes"}}}
)

// rbReadVerbs change nothing; self-reviews only ask the API server about
// the caller's own rights.
var (
	rbReadVerbs      = map[string]bool{"get": true, "list": true, "watch": true, "head": true, "options": true}
	rbReviewResource = map[string]bool{"selfsubjectaccessreviews": true, "selfsubjectrulesreviews": true, "selfsubjectreviews": true}
)

// rbProbes reports whether a rule grants any capability of the probes,
// whatever its resourceNames (a write limited to names is still a write).
func rbProbes(rule rbacv1.PolicyRule, probes []rbProbe) bool {
	rule.ResourceNames = nil
	for _, p := range probes {
		for _, res := range p.resources {
			for _, v := range p.verbs {
				if rbac.RuleAllows(&rule, rbac.Request{Verb: v, APIGroup: p.group, Resource: res}) {
					return true
				}
			}
		}
	}
	return false
}

// rbWrites reports whether a rule grants any verb beyond reading, on
// anything but self-reviews.
func rbWrites(rule rbacv1.PolicyRule) bool {
	writes := false
	for _, v := range rule.Verbs {
		writes = writes || !rbReadVerbs[v]
	}
	if !writes {
		return false
	}
	if len(rule.NonResourceURLs) > 0 {
		return true
	}
	for _, r := range rule.Resources {
		if !rbReviewResource[r] {
			return true
		}
	}
	return false
}

// rbGroupCoverage classifies every group a binding names.
func rbGroupCoverage(x *rbac.Index, subjects []rbSubject) []GroupCoverage {
	out := []GroupCoverage{}
	for _, s := range subjects {
		if s.s.Kind != rbacv1.GroupKind {
			continue
		}
		out = append(out, rbClassify(x, s))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Style != out[j].Style {
			return rbStyleRank[out[i].Style] < rbStyleRank[out[j].Style]
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// rbClassify judges one group: the most powerful style any of its grants
// reaches, with the namespaces where it does.
func rbClassify(x *rbac.Index, s rbSubject) GroupCoverage {
	u := s.user()
	if len(s.own(rbAdminGrants(x, u))) > 0 {
		return GroupCoverage{Name: s.s.Name, Style: StyleAdmin, Namespaces: []string{AllNamespacesMark}}
	}
	where := map[Style]map[string]bool{}
	mark := func(st Style, ns string) {
		if where[st] == nil {
			where[st] = map[string]bool{}
		}
		where[st][ns] = true
	}
	for _, p := range x.Permissions(u) {
		g := p.Grant
		if g.Subject.Kind != rbacv1.GroupKind || (!g.Binding.Cluster() && p.Namespace == "") {
			continue
		}
		rule := g.PolicyRule()
		ns := p.Namespace
		if g.Binding.Cluster() {
			ns = AllNamespacesMark
		}
		switch {
		case g.Binding.Cluster() && rbProbes(rule, rbSecurityProbes):
			mark(StyleSecurity, ns)
		case g.Binding.Cluster() && (rbProbes(rule, rbWorkloadProbes) || rbProbes(rule, rbNodeProbes)):
			mark(StyleOps, ns)
		case !g.Binding.Cluster() && rbProbes(rule, rbWorkloadProbes):
			mark(StyleDev, ns)
		case rbWrites(rule):
			mark(StyleOther, ns)
		default:
			mark(StyleReadOnly, ns)
		}
	}
	for _, st := range []Style{StyleSecurity, StyleOps, StyleDev, StyleOther, StyleReadOnly} {
		if len(where[st]) > 0 {
			return GroupCoverage{Name: s.s.Name, Style: st, Namespaces: rbSortedNamespaces(where[st])}
		}
	}
	return GroupCoverage{Name: s.s.Name, Style: StyleNone, Namespaces: []string{}}
}

// rbSortedNamespaces: "*" first, then by name.
func rbSortedNamespaces(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for ns := range set {
		out = append(out, ns)
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i] == AllNamespacesMark) != (out[j] == AllNamespacesMark) {
			return out[i] == AllNamespacesMark
		}
		return out[i] < out[j]
	})
	return out
}
