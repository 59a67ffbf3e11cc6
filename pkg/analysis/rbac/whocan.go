package rbac

import (
	"cmp"
	"slices"
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
	w := scratchPool.Get().(*whoCanScratch)
	defer w.release()
	namespaced := req.IsResource() && req.Namespace != ""
	// scan visits the rules of one list, skipping roles no binding that
	// applies refers to; a rule naming one of the resources of an earlier
	// list was visited there already.
	scan := func(refs []ruleRef, earlier []string) {
		var role *Role
		var crbs, rbs []*Binding
		for _, ref := range refs {
			if ref.role != role {
				role, crbs, rbs = ref.role, ref.role.crbs, nil
				if namespaced && role.rbs > 0 {
					rbs = x.rbsOf[roleNS{ref.role, req.Namespace}]
				}
			}
			if len(crbs)+len(rbs) == 0 {
				continue
			}
			rule := &ref.role.Rules[ref.i]
			if !RuleAllows(rule, req) || namesAny(rule.Resources, earlier) {
				continue
			}
			w.add(crbs, ref)
			w.add(rbs, ref)
		}
	}
	if req.IsResource() {
		keys := []string{req.Resource, rbacv1.ResourceAll}
		if req.Subresource != "" {
			keys = []string{req.Resource + "/" + req.Subresource, rbacv1.ResourceAll, "*/" + req.Subresource}
		}
		for i, k := range keys {
			scan(x.rulesByRes[k], keys[:i])
			// Roles grant through RoleBindings of their namespace only.
			if namespaced {
				scan(x.nsRulesByRes[nsResource{req.Namespace, k}], keys[:i])
			}
		}
	} else {
		scan(x.nonResource, nil)
	}
	return w.result()
}

// matchable reports whether a request can match the subject at all
// (subjectKey is not empty), without building the key.
func (b *Binding) matchable(s rbacv1.Subject) bool {
	switch s.Kind {
	case rbacv1.UserKind, rbacv1.GroupKind:
		return true
	case rbacv1.ServiceAccountKind:
		return b.SubjectNamespace(s) != ""
	}
	return false
}

// namesAny reports whether the list holds one of the names.
func namesAny(list, names []string) bool {
	for _, n := range names {
		for _, s := range list {
			if s == n {
				return true
			}
		}
	}
	return false
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
	slices.SortStableFunc(gs, func(a, b Grant) int {
		if a.Binding == b.Binding {
			return cmp.Compare(a.Rule, b.Rule)
		}
		if a.Binding.Cluster() != b.Binding.Cluster() {
			if a.Binding.Cluster() {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(a.Binding.Ref.Namespace, b.Binding.Ref.Namespace); c != 0 {
			return c
		}
		return cmp.Compare(a.Binding.Ref.Name, b.Binding.Ref.Name)
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
