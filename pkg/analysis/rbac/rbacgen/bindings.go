package rbacgen

import "fmt"

// Well-known groups the API server's authenticators set.
const (
	groupAuthenticated      = "system:authenticated"
	groupServiceAccounts    = "system:serviceaccounts"
	groupServiceAccountsPfx = "system:serviceaccounts:"
)

// builtinClusterRoles are bootstrap roles some bindings refer to; view and
// admin aggregate some of the generated roles.
var builtinClusterRoles = []string{"view", "edit", "admin"}

func (g *gen) clusterRoleBindings() []map[string]any {
	var out []map[string]any
	for i := range g.size.ClusterRoleBindings {
		name := fmt.Sprintf("kh-crb-%d", i)
		out = append(out, binding("ClusterRoleBinding", "", name, g.clusterRoleRef(), g.subjects("")))
	}
	return out
}

func (g *gen) roleBindings() []map[string]any {
	var out []map[string]any
	for i := range g.size.RoleBindings {
		ns := g.namespaces[i%len(g.namespaces)]
		name := fmt.Sprintf("kh-rb-%d", i)
		var ref map[string]any
		switch x := g.r.IntN(20); {
		case x < 11 && len(g.rolesByNS[ns]) > 0:
			ref = roleRef("Role", pick(g.r, g.rolesByNS[ns]))
		case x == 19:
			ref = roleRef("Role", fmt.Sprintf("kh-missing-role-%d", g.r.IntN(5)))
		default:
			ref = g.clusterRoleRef()
		}
		out = append(out, binding("RoleBinding", ns, name, ref, g.subjects(ns)))
	}
	return out
}

// clusterRoleRef refers to a plain or aggregated generated ClusterRole,
// now and then to a built-in one or to one that does not exist.
func (g *gen) clusterRoleRef() map[string]any {
	switch x := g.r.IntN(20); {
	case x == 0:
		return roleRef("ClusterRole", pick(g.r, builtinClusterRoles))
	case x == 1 || (len(g.clusterRoles) == 0 && len(g.aggregated) == 0):
		return roleRef("ClusterRole", fmt.Sprintf("kh-missing-cr-%d", g.r.IntN(5)))
	case (x < 8 || len(g.clusterRoles) == 0) && len(g.aggregated) > 0:
		return roleRef("ClusterRole", pick(g.r, g.aggregated))
	default:
		return roleRef("ClusterRole", pick(g.r, g.clusterRoles))
	}
}

func roleRef(kind, name string) map[string]any {
	return map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name}
}

func binding(kind, namespace, name string, ref map[string]any, subjects []any) map[string]any {
	meta := map[string]any{"name": name}
	if namespace != "" {
		meta["namespace"] = namespace
	}
	return map[string]any{"apiVersion": rbacAPIVersion, "kind": kind, "metadata": meta,
		"roleRef": ref, "subjects": subjects}
}

// subjects makes one to three subjects for a binding in namespace ns (""
// for a ClusterRoleBinding, whose ServiceAccount subjects need a
// namespace; a RoleBinding's may leave it out and mean the binding's).
func (g *gen) subjects(ns string) []any {
	n := 1 + g.r.IntN(3)
	out := make([]any, 0, n)
	for range n {
		switch x := g.r.IntN(20); {
		case x < 8 && len(g.users) > 0:
			out = append(out, map[string]any{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": pick(g.r, g.users)})
		case x < 13:
			out = append(out, map[string]any{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": g.group()})
		default:
			saNS := pick(g.r, g.namespaces)
			s := map[string]any{"kind": "ServiceAccount", "name": g.serviceAccount()}
			switch {
			case ns == "":
				s["namespace"] = saNS
			case g.r.IntN(2) == 0:
				// Left out: the binding's namespace.
			case g.r.IntN(2) == 0:
				s["namespace"] = ns
			default:
				s["namespace"] = saNS
			}
			out = append(out, s)
		}
	}
	return out
}

// group is a pool group, now and then a well-known one.
func (g *gen) group() string {
	switch x := g.r.IntN(40); {
	case x == 0:
		return groupAuthenticated
	case x == 1:
		return groupServiceAccounts
	case x < 4 || len(g.groups) == 0:
		return groupServiceAccountsPfx + pick(g.r, g.namespaces)
	default:
		return pick(g.r, g.groups)
	}
}

func (g *gen) serviceAccount() string {
	return fmt.Sprintf("kh-sa-%d", g.r.IntN(max(g.size.ServiceAccounts, 1)))
}
