// Package rbac is kharden's effective-permission index: Roles, ClusterRoles
// (with aggregation resolved as the clusterrole-aggregation controller does),
// RoleBindings and ClusterRoleBindings read from an inventory, and answered
// the way the API server's RBAC authorizer answers: who may do what, where,
// and through which binding, role and rule.
//
// The matching follows the authorizer's reading of a PolicyRule: verbs,
// apiGroups, resources (with "resource/subresource" and "*/subresource"),
// resourceNames and nonResourceURLs (with a trailing "*" as prefix), "*" as
// everything. A differential test holds it to SubjectAccessReview answers of
// a real kube-apiserver.
package rbac

import (
	"fmt"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// Well-known names of the API server's authentication and authorisation.
const (
	GroupMasters         = "system:masters"
	GroupAuthenticated   = "system:authenticated"
	GroupUnauthenticated = "system:unauthenticated"
	GroupServiceAccounts = "system:serviceaccounts"
	UserAnonymous        = "system:anonymous"
	serviceAccountPrefix = "system:serviceaccount:"
	bootstrapLabel       = "kubernetes.io/bootstrapping"
)

// Role is a Role or a ClusterRole with its effective rules.
type Role struct {
	Ref    finding.ObjectRef
	Object *inventory.Object
	// Rules are the effective rules: for an aggregated ClusterRole, the
	// rules aggregation gives it (its own declared rules are replaced,
	// unless aggregation gives it none: the controller then leaves them).
	Rules []rbacv1.PolicyRule
	// Aggregation is the aggregationRule's selectors (nil when the role is
	// not aggregated); RuleSources names, per rule, the ClusterRole an
	// aggregated rule came from (nil when the role keeps its own rules).
	Aggregation []string
	RuleSources []string
	// BuiltIn is true for the API server's own roles (system: names, the
	// kubernetes.io/bootstrapping label).
	BuiltIn bool

	declared  []rbacv1.PolicyRule
	selectors []selector
	// For who-can: the ClusterRoleBindings that refer to the role, and
	// how many RoleBindings do (Index.rbsOf has them by namespace).
	crbs []*Binding
	rbs  int
}

// Cluster reports whether the role is a ClusterRole.
func (r *Role) Cluster() bool { return r.Ref.Kind == "ClusterRole" }

// Binding is a RoleBinding or ClusterRoleBinding.
type Binding struct {
	Ref      finding.ObjectRef
	Object   *inventory.Object
	RoleRef  rbacv1.RoleRef
	Subjects []rbacv1.Subject
	// Role is what RoleRef resolves to; nil when it is dangling.
	Role *Role
	// BuiltIn is true for the API server's own bindings.
	BuiltIn bool

	// ranks are, per subject, its place in the order WhoCan lists
	// subjects in (-1 for a subject no request matches).
	ranks []int32
}

// Cluster reports whether the binding is a ClusterRoleBinding (it grants in
// every namespace and on cluster-scoped resources).
func (b *Binding) Cluster() bool { return b.Ref.Kind == "ClusterRoleBinding" }

// Namespace is where a RoleBinding grants ("" for a ClusterRoleBinding).
func (b *Binding) Namespace() string { return b.Ref.Namespace }

// SubjectNamespace is the namespace of a ServiceAccount subject as the
// authorizer reads it: its own, or for a RoleBinding the binding's.
func (b *Binding) SubjectNamespace(s rbacv1.Subject) string {
	if s.Namespace != "" {
		return s.Namespace
	}
	return b.Ref.Namespace
}

// Problem is something wrong with the RBAC objects that does not stop the
// analysis: a dangling roleRef, a malformed rule, an unknown subject kind.
type Problem struct {
	Object  finding.ObjectRef
	Source  finding.Source
	Message string
	// Dangling marks a binding whose role does not exist.
	Dangling bool
}

func (p Problem) String() string {
	loc := p.Object.String()
	if p.Source.File != "" {
		loc = p.Source.File
		if p.Source.Line > 0 {
			loc = fmt.Sprintf("%s:%d", loc, p.Source.Line)
		}
		loc += ": " + p.Object.String()
	}
	return loc + ": " + p.Message
}

// Index is the effective-permission index of one inventory. Build it once
// (Build, or For to share it between the checks of one scan); it is
// read-only afterwards and safe for concurrent use.
type Index struct {
	Roles    []*Role
	Bindings []*Binding
	Problems []Problem

	clusterRoles map[string]*Role
	roles        map[string]*Role // namespace + "/" + name

	// bindings by subject key ("u:NAME", "g:NAME"): all of them, those of
	// ClusterRoleBindings, and those of RoleBindings per namespace.
	bySubject        map[string][]*Binding
	clusterBySubject map[string][]*Binding
	nsBySubject      map[nsKey][]*Binding

	bindingsOfRole map[*Role][]*Binding
	byObject       map[*inventory.Object]*Binding
	// Rules by resource as written in them ("pods", "*", "*/scale"): of
	// ClusterRoles, and of Roles per namespace (a Role only grants in its
	// namespace, so who-can need not look at the others'). nonResource
	// are the ClusterRoles' rules with nonResourceURLs (only
	// ClusterRoleBindings grant those).
	rulesByRes   map[string][]ruleRef
	nsRulesByRes map[nsResource][]ruleRef
	nonResource  []ruleRef
	// The RoleBindings that refer to a role, per namespace.
	rbsOf map[roleNS][]*Binding
}

type nsResource struct{ ns, resource string }

type roleNS struct {
	role *Role
	ns   string
}

type nsKey struct{ ns, subject string }

type ruleRef struct {
	role *Role
	i    int
}

func userKey(name string) string  { return "u:" + name }
func groupKey(name string) string { return "g:" + name }

// ServiceAccountUser is the user name the API server gives a ServiceAccount.
func ServiceAccountUser(namespace, name string) string {
	return serviceAccountPrefix + namespace + ":" + name
}

// ParseServiceAccountUser splits system:serviceaccount:NS:NAME.
func ParseServiceAccountUser(user string) (namespace, name string, ok bool) {
	rest, found := strings.CutPrefix(user, serviceAccountPrefix)
	if !found {
		return "", "", false
	}
	namespace, name, ok = strings.Cut(rest, ":")
	return namespace, name, ok && namespace != "" && name != "" && !strings.Contains(name, ":")
}

// subjectKey is the key a binding subject is indexed under, or "" for a
// subject no request can match (unknown kind, ServiceAccount without a
// namespace in a ClusterRoleBinding).
func (b *Binding) subjectKey(s rbacv1.Subject) string {
	switch s.Kind {
	case rbacv1.UserKind:
		return userKey(s.Name)
	case rbacv1.GroupKind:
		return groupKey(s.Name)
	case rbacv1.ServiceAccountKind:
		ns := b.SubjectNamespace(s)
		if ns == "" {
			return ""
		}
		return userKey(ServiceAccountUser(ns, s.Name))
	}
	return ""
}

// Role returns the Role (namespace set) or ClusterRole (namespace empty).
func (x *Index) Role(namespace, name string) *Role {
	if namespace == "" {
		return x.clusterRoles[name]
	}
	return x.roles[namespace+"/"+name]
}

// BindingOf returns the binding read from an inventory object, or nil.
func (x *Index) BindingOf(o *inventory.Object) *Binding { return x.byObject[o] }

// BindingsOf returns the bindings that reference a role.
func (x *Index) BindingsOf(r *Role) []*Binding { return x.bindingsOfRole[r] }

// HasRBAC reports whether the inventory held any RBAC object: without them
// "no permission" means "not known", not "none".
func (x *Index) HasRBAC() bool {
	if len(x.Bindings) > 0 {
		return true
	}
	for _, r := range x.Roles {
		if r.Object.Origin != inventory.OriginBuiltIn {
			return true
		}
	}
	return false
}

type memoKey struct{}

// For returns the index of an inventory, built once and shared by every
// caller (the checks of one scan).
func For(inv *inventory.Inventory) *Index {
	return inv.Memo(memoKey{}, func() any { return Build(inv) }).(*Index)
}

// Build reads every RBAC object of the inventory, resolves aggregation and
// role references, and indexes the result.
func Build(inv *inventory.Inventory) *Index {
	x := &Index{
		clusterRoles:     map[string]*Role{},
		roles:            map[string]*Role{},
		bySubject:        map[string][]*Binding{},
		clusterBySubject: map[string][]*Binding{},
		nsBySubject:      map[nsKey][]*Binding{},
		bindingsOfRole:   map[*Role][]*Binding{},
		byObject:         map[*inventory.Object]*Binding{},
		rulesByRes:       map[string][]ruleRef{},
		nsRulesByRes:     map[nsResource][]ruleRef{},
	}
	for _, gk := range []struct {
		kind    string
		objects []*inventory.Object
	}{
		{"ClusterRole", inv.ByKind(inventory.KindClusterRole)},
		{"Role", inv.ByKind(inventory.KindRole)},
	} {
		for _, o := range gk.objects {
			r := x.readRole(o)
			if r == nil {
				continue
			}
			if r.Cluster() {
				if prev := x.clusterRoles[r.Ref.Name]; prev != nil {
					x.problem(o, "ClusterRole %s is defined more than once; the last definition is used", r.Ref.Name)
				}
				x.clusterRoles[r.Ref.Name] = r
			} else {
				key := r.Ref.Namespace + "/" + r.Ref.Name
				if prev := x.roles[key]; prev != nil {
					x.problem(o, "Role %s is defined more than once; the last definition is used", key)
				}
				x.roles[key] = r
			}
		}
	}
	// Every API server has its default roles; manifests bind to them
	// without shipping them.
	defaults, err := defaultRoles(func(ns, name string) bool {
		if ns == "" {
			return x.clusterRoles[name] != nil
		}
		return x.roles[ns+"/"+name] != nil
	})
	if err != nil {
		x.Problems = append(x.Problems, Problem{Message: err.Error()})
	}
	for _, o := range defaults {
		if r := x.readRole(o); r != nil {
			if r.Cluster() {
				x.clusterRoles[r.Ref.Name] = r
			} else {
				x.roles[r.Ref.Namespace+"/"+r.Ref.Name] = r
			}
		}
	}
	// The roles that count are the last definition of each name.
	for _, r := range x.clusterRoles {
		x.Roles = append(x.Roles, r)
	}
	for _, r := range x.roles {
		x.Roles = append(x.Roles, r)
	}
	sort.Slice(x.Roles, func(i, j int) bool { return roleLess(x.Roles[i], x.Roles[j]) })
	x.aggregate()
	for _, r := range x.Roles {
		for i := range r.Rules {
			ref := ruleRef{r, i}
			if !r.Cluster() {
				for _, res := range dedupe(r.Rules[i].Resources) {
					k := nsResource{r.Ref.Namespace, res}
					x.nsRulesByRes[k] = append(x.nsRulesByRes[k], ref)
				}
				continue
			}
			if len(r.Rules[i].NonResourceURLs) > 0 {
				x.nonResource = append(x.nonResource, ref)
			}
			for _, res := range dedupe(r.Rules[i].Resources) {
				x.rulesByRes[res] = append(x.rulesByRes[res], ref)
			}
		}
	}
	for _, objs := range [][]*inventory.Object{inv.ByKind(inventory.KindClusterRoleBinding), inv.ByKind(inventory.KindRoleBinding)} {
		for _, o := range objs {
			if b := x.readBinding(o); b != nil {
				x.addBinding(b)
			}
		}
	}
	x.indexGrantees()
	return x
}

func roleLess(a, b *Role) bool {
	if a.Cluster() != b.Cluster() {
		return a.Cluster()
	}
	if a.Ref.Namespace != b.Ref.Namespace {
		return a.Ref.Namespace < b.Ref.Namespace
	}
	return a.Ref.Name < b.Ref.Name
}

func (x *Index) addBinding(b *Binding) {
	x.Bindings = append(x.Bindings, b)
	x.byObject[b.Object] = b
	switch {
	case b.RoleRef.Kind == "ClusterRole":
		b.Role = x.clusterRoles[b.RoleRef.Name]
	case b.RoleRef.Kind == "Role" && !b.Cluster():
		b.Role = x.roles[b.Ref.Namespace+"/"+b.RoleRef.Name]
	}
	if b.Role == nil {
		msg := fmt.Sprintf("roleRef %s %q does not exist", b.RoleRef.Kind, b.RoleRef.Name)
		switch {
		case b.RoleRef.Kind == "Role" && b.Cluster():
			msg = fmt.Sprintf("a ClusterRoleBinding cannot refer to a Role (%q): it grants nothing", b.RoleRef.Name)
		case b.RoleRef.Kind != "Role" && b.RoleRef.Kind != "ClusterRole":
			msg = fmt.Sprintf("roleRef kind %q is neither Role nor ClusterRole: it grants nothing", b.RoleRef.Kind)
		case b.RoleRef.Kind == "Role":
			msg = fmt.Sprintf("roleRef Role %q does not exist in namespace %s: the binding grants nothing until one is created", b.RoleRef.Name, b.Ref.Namespace)
		default:
			msg += ": the binding grants nothing until one is created"
		}
		x.Problems = append(x.Problems, Problem{Object: b.Ref, Source: b.Object.Source, Message: msg, Dangling: true})
	} else {
		x.bindingsOfRole[b.Role] = append(x.bindingsOfRole[b.Role], b)
	}
	seen := map[string]bool{}
	for _, s := range b.Subjects {
		key := b.subjectKey(s)
		if key == "" || seen[key] {
			continue
		}
		seen[key] = true
		x.bySubject[key] = append(x.bySubject[key], b)
		if b.Cluster() {
			x.clusterBySubject[key] = append(x.clusterBySubject[key], b)
		} else {
			k := nsKey{b.Ref.Namespace, key}
			x.nsBySubject[k] = append(x.nsBySubject[k], b)
		}
	}
}

func (x *Index) problem(o *inventory.Object, format string, args ...any) {
	x.Problems = append(x.Problems, Problem{Object: o.Ref, Source: o.Source, Message: fmt.Sprintf(format, args...)})
}

func isBuiltIn(o *inventory.Object) bool {
	if strings.HasPrefix(o.Ref.Name, "system:") {
		return true
	}
	return o.Labels()[bootstrapLabel] == "rbac-defaults"
}

func dedupe(in []string) []string {
	if len(in) < 2 {
		return in
	}
	out := make([]string, 0, len(in))
	for i, s := range in {
		dup := false
		for _, t := range in[:i] {
			if s == t {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}
