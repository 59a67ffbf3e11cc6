package access

import (
	"fmt"
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/inventory"
)

// Question is what `kharden rbac who-can` asks: a verb on a resource
// (RESOURCE[.GROUP][/SUBRESOURCE], a short or singular name, or a
// non-resource URL starting with /), in a namespace or cluster-wide, or in
// every namespace.
type Question struct {
	Verb      string
	Resource  string
	APIGroup  string
	Namespace string
	Name      string
	// AllNamespaces answers for every namespace: per subject, where it may.
	AllNamespaces bool
}

// WhoCanAnswer lists the subjects allowed a request.
type WhoCanAnswer struct {
	Request       rbac.Request    `json:"request"`
	AllNamespaces bool            `json:"allNamespaces,omitempty"`
	Subjects      []SubjectAnswer `json:"subjects"`
	Warnings      []string        `json:"warnings"`
}

// SubjectAnswer is one subject allowed the request, and every grant that
// allows it.
type SubjectAnswer struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	// Privileged marks system:masters: the API server allows its members
	// everything before RBAC is asked.
	Privileged bool `json:"privileged,omitempty"`
	// Namespaces, for an all-namespaces question, are where the subject may:
	// "*" for every namespace (a ClusterRoleBinding), then the namespaces of
	// RoleBindings.
	Namespaces []string `json:"namespaces,omitempty"`
	Via        []Via    `json:"via"`
}

// AllNamespacesMark stands for every namespace in an all-namespaces answer.
const AllNamespacesMark = "*"

// WhoCan answers who may make the request, from the RBAC objects of the
// inventory, as the API server's authorizers would: system:masters, the
// subjects of ClusterRoleBindings and, for a request in a namespace, of
// RoleBindings there. A request without a namespace is cluster-wide
// (ClusterRoleBindings only). A resource the resolver does not know is
// asked as written, with a warning; a malformed question is an error.
func WhoCan(inv *inventory.Inventory, q Question, res Resources) (*WhoCanAnswer, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	req, warning, err := rbac.ParseRequest(q.Verb, q.Resource, q.APIGroup, q.Namespace, q.Name, res.Resolve)
	if err != nil {
		return nil, err
	}
	x := rbac.For(inv)
	a := &WhoCanAnswer{Warnings: []string{}}
	if warning != "" {
		a.Warnings = append(a.Warnings, warning)
	}
	all := q.AllNamespaces
	switch {
	case !req.IsResource() && all:
		a.Warnings = append(a.Warnings, fmt.Sprintf("%s is a non-resource URL: it has no namespace, answered cluster-wide", req.Path))
		all = false
	case req.IsResource() && res.Namespaced != nil:
		if namespaced, known := res.Namespaced(req.APIGroup, req.Resource); known && !namespaced {
			if req.Namespace != "" || all {
				a.Warnings = append(a.Warnings, fmt.Sprintf("%s is cluster-scoped: a RoleBinding cannot grant it, answered cluster-wide", rbResourceName(req)))
			}
			req.Namespace, all = "", false
		}
	}
	a.Request, a.AllNamespaces = req, all
	if all {
		a.Subjects = rbWhoCanEverywhere(x, req)
	} else {
		for _, s := range x.WhoCan(req) {
			a.Subjects = append(a.Subjects, rbSubjectAnswer(s))
		}
	}
	a.Warnings = append(a.Warnings, rbIndexWarnings(x)...)
	return a, nil
}

// Validate checks the question's syntax without an inventory, so that a
// mistyped question fails before a cluster is read.
func (q Question) Validate() error {
	if q.AllNamespaces && q.Namespace != "" {
		return fmt.Errorf("a namespace and all namespaces exclude each other")
	}
	for _, f := range []struct{ what, v string }{{"verb", q.Verb}, {"resource", q.Resource}, {"API group", q.APIGroup},
		{"namespace", q.Namespace}, {"name", q.Name}} {
		if err := rbCheckText(f.what, f.v); err != nil {
			return err
		}
	}
	_, _, err := rbac.ParseRequest(q.Verb, q.Resource, q.APIGroup, q.Namespace, q.Name, nil)
	return err
}

func rbResourceName(req rbac.Request) string {
	if req.APIGroup == "" {
		return req.Resource
	}
	return req.Resource + "." + req.APIGroup
}

func rbSubjectAnswer(s rbac.SubjectAccess) SubjectAnswer {
	out := SubjectAnswer{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace, Privileged: s.Privileged, Via: []Via{}}
	for _, g := range s.Via {
		out.Via = append(out.Via, rbVia(g))
	}
	return out
}

// rbWhoCanEverywhere answers in every namespace at once: the cluster-wide
// answer holds in all of them ("*"), and a namespace adds to it only
// through its own RoleBindings, so only namespaces with RoleBindings are
// asked.
func rbWhoCanEverywhere(x *rbac.Index, req rbac.Request) []SubjectAnswer {
	type key struct{ kind, ns, name string }
	bySubject := map[key]*SubjectAnswer{}
	var order []key
	add := func(s rbac.SubjectAccess, where string, grants []rbac.Grant) {
		k := key{s.Kind, s.Namespace, s.Name}
		sa := bySubject[k]
		if sa == nil {
			sa = &SubjectAnswer{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace, Privileged: s.Privileged, Via: []Via{}}
			bySubject[k] = sa
			order = append(order, k)
		}
		sa.Namespaces = append(sa.Namespaces, where)
		for _, g := range grants {
			sa.Via = append(sa.Via, rbVia(g))
		}
	}
	req.Namespace = ""
	for _, s := range x.WhoCan(req) {
		add(s, AllNamespacesMark, s.Via)
	}
	seen := map[string]bool{}
	var namespaces []string
	for _, b := range x.Bindings {
		if !b.Cluster() && b.Namespace() != "" && !seen[b.Namespace()] {
			seen[b.Namespace()] = true
			namespaces = append(namespaces, b.Namespace())
		}
	}
	sort.Strings(namespaces)
	for _, ns := range namespaces {
		req.Namespace = ns
		for _, s := range x.WhoCan(req) {
			var local []rbac.Grant
			for _, g := range s.Via {
				if !g.Binding.Cluster() {
					local = append(local, g)
				}
			}
			if len(local) > 0 {
				add(s, ns, local)
			}
		}
	}
	out := make([]SubjectAnswer, 0, len(order))
	for _, k := range order {
		out = append(out, *bySubject[k])
	}
	sort.SliceStable(out, func(i, j int) bool { return rbSubjectLess(out[i], out[j]) })
	return out
}

// rbSubjectLess orders subjects as rbac.WhoCan does: system:masters, then
// Users, Groups and ServiceAccounts, each by namespace and name.
func rbSubjectLess(a, b SubjectAnswer) bool {
	if a.Privileged != b.Privileged {
		return a.Privileged
	}
	if a.Kind != b.Kind {
		return rbKindOrder(a.Kind) < rbKindOrder(b.Kind)
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

func rbKindOrder(k string) int {
	switch k {
	case rbacv1.UserKind:
		return 0
	case rbacv1.GroupKind:
		return 1
	}
	return 2
}

// rbIndexWarnings are the problems of the RBAC objects (dangling roleRefs,
// malformed rules), and the absence of any RBAC object.
func rbIndexWarnings(x *rbac.Index) []string {
	var out []string
	if !x.HasRBAC() {
		out = append(out, "no Role, ClusterRole or binding in the input: only system:masters is known to be allowed")
	}
	for _, p := range x.Problems {
		out = append(out, p.String())
	}
	return out
}
