package rbac

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Request is what is asked: a resource request (verb, API group, resource,
// subresource, namespace, name) or, when Path is set, a non-resource
// request (verb and URL path).
type Request struct {
	Verb        string `json:"verb"`
	APIGroup    string `json:"apiGroup,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Name        string `json:"name,omitempty"`
	Path        string `json:"path,omitempty"`
}

// IsResource reports whether the request is about a resource (not a URL).
func (r Request) IsResource() bool { return r.Path == "" }

// String renders the request as kubectl auth can-i would read it.
func (r Request) String() string {
	if !r.IsResource() {
		return r.Verb + " " + r.Path
	}
	res := r.Resource
	if r.APIGroup != "" {
		res += "." + r.APIGroup
	}
	if r.Subresource != "" {
		res += "/" + r.Subresource
	}
	if r.Name != "" {
		res += " " + r.Name
	}
	s := r.Verb + " " + res
	if r.Namespace != "" {
		s += " in namespace " + r.Namespace
	} else {
		s += " cluster-wide"
	}
	return s
}

// User is an authenticated identity: its name and the groups it belongs to,
// as an authenticator hands them to the authorizer.
type User struct {
	Name   string   `json:"name"`
	Groups []string `json:"groups,omitempty"`
}

// ServiceAccount is the identity of a ServiceAccount with the groups the
// API server gives it.
func ServiceAccount(namespace, name string) User {
	return User{Name: ServiceAccountUser(namespace, name),
		Groups: []string{GroupServiceAccounts, GroupServiceAccounts + ":" + namespace, GroupAuthenticated}}
}

// Grant is one reason a request is allowed: the binding, the role it refers
// to, and the rule of that role, with the binding subject that matched.
type Grant struct {
	Binding *Binding
	Role    *Role
	Rule    int
	Subject rbacv1.Subject
}

// PolicyRule is the rule the grant rests on.
func (g Grant) PolicyRule() rbacv1.PolicyRule { return g.Role.Rules[g.Rule] }

// Authorize answers like the API server's authorizers: members of
// system:masters may do everything; otherwise the RBAC authorizer allows
// when a rule of a role bound to the user or one of its groups, by a
// ClusterRoleBinding or by a RoleBinding in the request's namespace,
// covers the request. The grants returned are every rule that allows it
// (all of them when all is true, else the first).
func (x *Index) Authorize(u User, req Request, all bool) (bool, []Grant) {
	for _, g := range u.Groups {
		if g == GroupMasters {
			return true, nil
		}
	}
	var grants []Grant
	keys := make([]string, 0, 1+len(u.Groups))
	keys = append(keys, userKey(u.Name))
	for _, g := range u.Groups {
		keys = append(keys, groupKey(g))
	}
	visit := func(bs []*Binding) bool {
		for _, b := range bs {
			if b.Role == nil {
				continue
			}
			for i := range b.Role.Rules {
				if RuleAllows(&b.Role.Rules[i], req) {
					grants = append(grants, Grant{Binding: b, Role: b.Role, Rule: i, Subject: b.matchingSubject(u)})
					if !all {
						return true
					}
				}
			}
		}
		return false
	}
	for _, k := range keys {
		if visit(x.clusterBySubject[k]) {
			return true, grants
		}
	}
	if req.Namespace != "" && req.IsResource() {
		for _, k := range keys {
			if visit(x.nsBySubject[nsKey{req.Namespace, k}]) {
				return true, grants
			}
		}
	}
	return len(grants) > 0, dedupeGrants(grants)
}

// dedupeGrants drops a grant seen twice (the user and one of its groups in
// the same binding).
func dedupeGrants(gs []Grant) []Grant {
	if len(gs) < 2 {
		return gs
	}
	type k struct {
		b *Binding
		i int
	}
	seen := map[k]bool{}
	out := gs[:0]
	for _, g := range gs {
		if !seen[k{g.Binding, g.Rule}] {
			seen[k{g.Binding, g.Rule}] = true
			out = append(out, g)
		}
	}
	return out
}

// matchingSubject is the first subject of the binding that applies to u.
func (b *Binding) matchingSubject(u User) rbacv1.Subject {
	for _, s := range b.Subjects {
		if b.AppliesTo(s, u) {
			return s
		}
	}
	return rbacv1.Subject{}
}

// AppliesTo reports whether a subject of this binding matches the user, as
// the RBAC authorizer matches: a User by name, a Group by membership, a
// ServiceAccount by the user name system:serviceaccount:NS:NAME, where NS
// defaults to a RoleBinding's namespace.
func (b *Binding) AppliesTo(s rbacv1.Subject, u User) bool {
	switch s.Kind {
	case rbacv1.UserKind:
		return u.Name == s.Name
	case rbacv1.GroupKind:
		for _, g := range u.Groups {
			if g == s.Name {
				return true
			}
		}
	case rbacv1.ServiceAccountKind:
		ns := b.SubjectNamespace(s)
		return ns != "" && u.Name == ServiceAccountUser(ns, s.Name)
	}
	return false
}

// RuleAllows reports whether a policy rule covers a request, as the RBAC
// authorizer reads rules.
func RuleAllows(rule *rbacv1.PolicyRule, req Request) bool {
	if !req.IsResource() {
		return verbMatches(rule, req.Verb) && nonResourceURLMatches(rule, req.Path)
	}
	combined := req.Resource
	if req.Subresource != "" {
		combined = req.Resource + "/" + req.Subresource
	}
	return verbMatches(rule, req.Verb) && apiGroupMatches(rule, req.APIGroup) &&
		resourceMatches(rule, combined, req.Subresource) && resourceNameMatches(rule, req.Name)
}

func verbMatches(rule *rbacv1.PolicyRule, verb string) bool {
	for _, v := range rule.Verbs {
		if v == rbacv1.VerbAll || v == verb {
			return true
		}
	}
	return false
}

func apiGroupMatches(rule *rbacv1.PolicyRule, group string) bool {
	for _, g := range rule.APIGroups {
		if g == rbacv1.APIGroupAll || g == group {
			return true
		}
	}
	return false
}

// resourceMatches: "*" matches everything, "pods/log" matches exactly, and
// "*/log" matches the log subresource of any resource.
func resourceMatches(rule *rbacv1.PolicyRule, combined, subresource string) bool {
	for _, r := range rule.Resources {
		if r == rbacv1.ResourceAll || r == combined {
			return true
		}
		if subresource != "" && len(r) == len(subresource)+2 && strings.HasPrefix(r, "*/") && strings.HasSuffix(r, subresource) {
			return true
		}
	}
	return false
}

// resourceNameMatches: a rule without resourceNames covers every name; one
// with them covers those names only (and so no request without a name:
// list, watch of a collection, create).
func resourceNameMatches(rule *rbacv1.PolicyRule, name string) bool {
	if len(rule.ResourceNames) == 0 {
		return true
	}
	for _, n := range rule.ResourceNames {
		if n == name {
			return true
		}
	}
	return false
}

// nonResourceURLMatches: "*" matches every path, a trailing "*" a prefix.
func nonResourceURLMatches(rule *rbacv1.PolicyRule, path string) bool {
	for _, u := range rule.NonResourceURLs {
		if u == rbacv1.NonResourceAll || u == path {
			return true
		}
		if strings.HasSuffix(u, "*") && strings.HasPrefix(path, strings.TrimRight(u, "*")) {
			return true
		}
	}
	return false
}
