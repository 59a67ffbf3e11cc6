package rbac

import (
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
)

// SubjectAccess is one subject allowed a request, and every grant that
// allows it.
type SubjectAccess struct {
	Kind      string // User, Group, ServiceAccount
	Name      string
	Namespace string // ServiceAccounts only
	// Privileged marks system:masters, allowed everything by the API
	// server before RBAC is asked.
	Privileged bool
	Via        []Grant
}

// WhoCan lists the subjects named in bindings that allow the request: the
// subjects of ClusterRoleBindings, and of RoleBindings in the request's
// namespace, whose role has a rule covering it. system:masters is listed
// first: the API server allows it everything without asking RBAC.
func (x *Index) WhoCan(req Request) []SubjectAccess {
	var refs []ruleRef
	if req.IsResource() {
		combined := req.Resource
		if req.Subresource != "" {
			combined += "/" + req.Subresource
		}
		refs = append(refs, x.rulesByRes[combined]...)
		refs = append(refs, x.rulesByRes[rbacv1.ResourceAll]...)
		if req.Subresource != "" {
			refs = append(refs, x.rulesByRes["*/"+req.Subresource]...)
		}
	} else {
		refs = x.nonResource
	}
	type subjectKey struct{ kind, name, ns string }
	bySubject := map[subjectKey]*SubjectAccess{}
	var order []subjectKey
	seenRule := map[ruleRef]bool{}
	for _, ref := range refs {
		if seenRule[ref] || !RuleAllows(&ref.role.Rules[ref.i], req) {
			continue
		}
		seenRule[ref] = true
		for _, b := range x.bindingsOfRole[ref.role] {
			if !b.Cluster() && (!req.IsResource() || b.Ref.Namespace != req.Namespace || req.Namespace == "") {
				continue
			}
			for _, s := range b.Subjects {
				if b.subjectKey(s) == "" {
					continue
				}
				k := subjectKey{s.Kind, s.Name, ""}
				if s.Kind == rbacv1.ServiceAccountKind {
					k.ns = b.SubjectNamespace(s)
				}
				sa := bySubject[k]
				if sa == nil {
					sa = &SubjectAccess{Kind: k.kind, Name: k.name, Namespace: k.ns}
					bySubject[k] = sa
					order = append(order, k)
				}
				sa.Via = append(sa.Via, Grant{Binding: b, Role: ref.role, Rule: ref.i, Subject: s})
			}
		}
	}
	out := []SubjectAccess{{Kind: rbacv1.GroupKind, Name: GroupMasters, Privileged: true}}
	for _, k := range order {
		sa := bySubject[k]
		sortGrants(sa.Via)
		out = append(out, *sa)
	}
	sort.SliceStable(out[1:], func(i, j int) bool {
		a, b := out[1+i], out[1+j]
		if a.Kind != b.Kind {
			return kindOrder(a.Kind) < kindOrder(b.Kind)
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	return out
}

func kindOrder(k string) int {
	switch k {
	case rbacv1.UserKind:
		return 0
	case rbacv1.GroupKind:
		return 1
	}
	return 2
}

func sortGrants(gs []Grant) {
	sort.SliceStable(gs, func(i, j int) bool {
		a, b := gs[i], gs[j]
		if a.Binding != b.Binding {
			if a.Binding.Cluster() != b.Binding.Cluster() {
				return a.Binding.Cluster()
			}
			if a.Binding.Ref.Namespace != b.Binding.Ref.Namespace {
				return a.Binding.Ref.Namespace < b.Binding.Ref.Namespace
			}
			return a.Binding.Ref.Name < b.Binding.Ref.Name
		}
		return a.Rule < b.Rule
	})
}

// Permission is one rule a subject holds, and where: Namespace is empty
// for a ClusterRoleBinding (every namespace, and cluster-scoped resources).
type Permission struct {
	Namespace string
	Grant     Grant
}

// Permissions lists every rule granted to the user or one of its groups,
// cluster-wide first, then per namespace. system:masters holds everything
// and has no rules to list; callers check for it with IsPrivileged.
func (x *Index) Permissions(u User) []Permission {
	keys := []string{userKey(u.Name)}
	for _, g := range u.Groups {
		keys = append(keys, groupKey(g))
	}
	seen := map[*Binding]bool{}
	var out []Permission
	for _, k := range keys {
		for _, b := range x.bySubject[k] {
			if seen[b] || b.Role == nil {
				continue
			}
			seen[b] = true
			s := b.matchingSubject(u)
			for i := range b.Role.Rules {
				out = append(out, Permission{Namespace: b.Ref.Namespace, Grant: Grant{Binding: b, Role: b.Role, Rule: i, Subject: s}})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Grant.Binding != b.Grant.Binding {
			if a.Grant.Binding.Cluster() != b.Grant.Binding.Cluster() {
				return a.Grant.Binding.Cluster()
			}
			return a.Grant.Binding.Ref.Name < b.Grant.Binding.Ref.Name
		}
		return a.Grant.Rule < b.Grant.Rule
	})
	return out
}

// IsPrivileged reports whether the user is in system:masters.
func IsPrivileged(u User) bool {
	for _, g := range u.Groups {
		if g == GroupMasters {
			return true
		}
	}
	return false
}
