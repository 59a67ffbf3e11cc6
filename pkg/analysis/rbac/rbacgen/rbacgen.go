// Package rbacgen generates random but valid RBAC objects — objects a real
// API server accepts — and questions to ask about them, for the differential
// test that holds package rbac to SubjectAccessReview answers and for the
// RBAC benchmarks. Everything is deterministic for a seed.
//
// The set mixes what makes RBAC hard to get right: wildcard verbs, API
// groups and resources, subresources ("pods/exec", "*/scale"),
// resourceNames, non-resource URLs with trailing "*", impersonate, bind and
// escalate; aggregated ClusterRoles selected by matchLabels and
// matchExpressions (In, NotIn, Exists, DoesNotExist), aggregated roles
// selected by other aggregated roles, one selecting nothing, roles
// aggregated into the built-in view, edit and admin; RoleBindings to Roles
// and to ClusterRoles, ClusterRoleBindings; Users, Groups (including
// system:authenticated and the service-account groups) and ServiceAccounts
// with and without an explicit namespace; bindings to roles that do not
// exist.
package rbacgen

import (
	"fmt"
	"math/rand/v2"
)

// Size sets how many objects of each sort Generate makes.
type Size struct {
	Namespaces int
	// Roles are namespaced, spread evenly over the namespaces.
	Roles int
	// ClusterRoles have rules of their own; AggregatedRoles have an
	// aggregationRule.
	ClusterRoles    int
	AggregatedRoles int
	// RoleBindings are spread evenly over the namespaces.
	RoleBindings        int
	ClusterRoleBindings int
	// Users and Groups are the pools binding subjects are drawn from;
	// ServiceAccounts is the pool per namespace.
	Users, Groups   int
	ServiceAccounts int
}

// Fidelity is a few hundred objects: varied enough to exercise every
// matching rule, small enough to create on a test API server in seconds
// and to ask every subject about a few hundred requests.
func Fidelity() Size {
	return Size{
		Namespaces: 6, Roles: 60, ClusterRoles: 50, AggregatedRoles: 16,
		RoleBindings: 120, ClusterRoleBindings: 40,
		Users: 16, Groups: 6, ServiceAccounts: 3,
	}
}

// Bench50k is 50,000 Roles, ClusterRoles and bindings in 500 namespaces.
func Bench50k() Size {
	return Size{
		Namespaces: 500, Roles: 15000, ClusterRoles: 4000, AggregatedRoles: 1000,
		RoleBindings: 25000, ClusterRoleBindings: 5000,
		Users: 5000, Groups: 500, ServiceAccounts: 10,
	}
}

// Label keys the generated ClusterRoles carry and aggregation rules select
// on. Every selector requires aggLabel or chainLabel, so no selector of
// ours matches a ClusterRole of the API server's own.
const (
	aggLabel   = "kharden.test/agg"
	tierLabel  = "kharden.test/tier"
	extraLabel = "kharden.test/extra"
	chainLabel = "kharden.test/chain"
	// Built-in aggregation labels: ClusterRoles carrying them add their
	// rules to the bootstrap view, edit and admin roles.
	aggregateToView  = "rbac.authorization.k8s.io/aggregate-to-view"
	aggregateToAdmin = "rbac.authorization.k8s.io/aggregate-to-admin"
)

const rbacAPIVersion = "rbac.authorization.k8s.io/v1"

// gen holds the random source and what has been generated so far.
type gen struct {
	r    *rand.Rand
	size Size

	namespaces   []string
	rolesByNS    map[string][]string
	clusterRoles []string // plain ClusterRoles
	aggregated   []string
	users        []string
	groups       []string
}

// Generate returns the RBAC set for a seed: Namespaces first, then
// ClusterRoles, Roles, ClusterRoleBindings and RoleBindings, as unstructured
// objects (map[string]any, []any, string: the shape encoding/json gives)
// ready for the dynamic client or inventory.NewObject.
func Generate(seed int64, size Size) []map[string]any {
	g := &gen{r: newRand(seed), size: size, rolesByNS: map[string][]string{}}
	for i := range size.Users {
		g.users = append(g.users, fmt.Sprintf("kh-user-%d", i))
	}
	for i := range size.Groups {
		g.groups = append(g.groups, fmt.Sprintf("kh-group-%d", i))
	}
	var out []map[string]any
	for i := range max(size.Namespaces, 1) {
		ns := fmt.Sprintf("kh-ns-%d", i)
		g.namespaces = append(g.namespaces, ns)
		out = append(out, map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}})
	}
	out = append(out, g.plainClusterRoles()...)
	out = append(out, g.aggregatedRoles()...)
	out = append(out, g.roles()...)
	out = append(out, g.clusterRoleBindings()...)
	out = append(out, g.roleBindings()...)
	return out
}

func newRand(seed int64) *rand.Rand {
	s := uint64(seed)
	return rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15))
}

func (g *gen) roles() []map[string]any {
	var out []map[string]any
	for i := range g.size.Roles {
		ns := g.namespaces[i%len(g.namespaces)]
		name := fmt.Sprintf("kh-role-%d", i)
		g.rolesByNS[ns] = append(g.rolesByNS[ns], name)
		out = append(out, object("Role", ns, name, nil, g.rules(false)))
	}
	return out
}

func (g *gen) plainClusterRoles() []map[string]any {
	groups := aggGroups(g.size)
	var out []map[string]any
	for i := range g.size.ClusterRoles {
		name := fmt.Sprintf("kh-cr-%d", i)
		g.clusterRoles = append(g.clusterRoles, name)
		labels := map[string]any{}
		if g.r.IntN(4) != 0 {
			labels[aggLabel] = fmt.Sprintf("g%d", g.r.IntN(groups))
		}
		if g.r.IntN(2) == 0 {
			labels[tierLabel] = pick(g.r, []string{"a", "b", "c"})
		}
		if g.r.IntN(10) < 3 {
			labels[extraLabel] = "yes"
		}
		switch i % 25 {
		case 7:
			labels[aggregateToView] = "true"
		case 13:
			labels[aggregateToAdmin] = "true"
		}
		out = append(out, object("ClusterRole", "", name, labels, g.rules(true)))
	}
	return out
}

// aggGroups is how many values of the aggLabel label the plain ClusterRoles
// share: about eight roles each.
func aggGroups(s Size) int { return max(2, s.ClusterRoles/8) }

// object is a Role or ClusterRole with labels (nil for none) and rules.
func object(kind, namespace, name string, labels map[string]any, rules []any) map[string]any {
	meta := map[string]any{"name": name}
	if namespace != "" {
		meta["namespace"] = namespace
	}
	if len(labels) > 0 {
		meta["labels"] = labels
	}
	o := map[string]any{"apiVersion": rbacAPIVersion, "kind": kind, "metadata": meta}
	if len(rules) > 0 {
		o["rules"] = rules
	}
	return o
}

func pick[T any](r *rand.Rand, from []T) T { return from[r.IntN(len(from))] }

// some picks between 1 and n distinct values.
func some(r *rand.Rand, from []string, n int) []any {
	k := 1 + r.IntN(n)
	idx := r.Perm(len(from))[:min(k, len(from))]
	out := make([]any, 0, len(idx))
	for _, i := range idx {
		out = append(out, from[i])
	}
	return out
}
