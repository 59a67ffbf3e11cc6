package rbacgen

import (
	"fmt"
	"math/rand/v2"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/pkg/analysis/rbac"
)

// Question is one request asked as one user.
type Question struct {
	User    rbac.User
	Request rbac.Request
}

// Questions makes n questions about a generated set, deterministic for a
// seed. Most are derived from a binding: one of its subjects asks for
// something a rule of its role grants, where the binding grants it; about
// half of those then have one field changed (verb, API group, resource,
// subresource, namespace, name, path or identity), and a tenth are random.
// That puts the share allowed between a third and two thirds. No question
// is asked as a member of system:masters.
func Questions(seed int64, objects []map[string]any, n int) []Question {
	m := readModel(objects)
	q := &questioner{r: newRand(seed), m: m}
	q.namespaces = append(append([]string{}, m.namespaces...), "default", "kube-system")
	q.users = append(append([]string{}, m.users...), "kh-nobody", rbac.UserAnonymous)
	for _, g := range m.groups {
		if g != rbac.GroupMasters {
			q.groups = append(q.groups, g)
		}
	}
	q.groups = append(q.groups, groupAuthenticated, groupServiceAccounts, rbac.GroupUnauthenticated)
	out := make([]Question, 0, n)
	for range n {
		out = append(out, q.question())
	}
	return out
}

type questioner struct {
	r          *rand.Rand
	m          *model
	namespaces []string
	users      []string
	groups     []string
	probes     int
}

func (q *questioner) question() Question {
	if len(q.m.bindings) == 0 || q.r.IntN(10) == 0 {
		return Question{User: q.randomUser(), Request: q.randomRequest()}
	}
	b := pick(q.r, q.m.bindings)
	var u rbac.User
	if len(b.Subjects) > 0 {
		u = q.identity(b, pick(q.r, b.Subjects))
	} else {
		u = q.randomUser()
	}
	rules := q.m.rulesOf(b)
	if len(rules) == 0 {
		rules = q.m.allRules
	}
	var req rbac.Request
	if len(rules) == 0 {
		req = q.randomRequest()
	} else {
		req = q.requestFor(pick(q.r, rules), b.Namespace)
	}
	if q.r.IntN(2) == 0 {
		u, req = q.mutate(u, req)
	}
	return Question{User: u, Request: req}
}

// identity is a user a subject of binding b applies to.
func (q *questioner) identity(b bindingOf, s rbacv1.Subject) rbac.User {
	switch s.Kind {
	case rbacv1.UserKind:
		u := rbac.User{Name: s.Name}
		for range q.r.IntN(3) {
			u.Groups = append(u.Groups, pick(q.r, q.groups))
		}
		return u
	case rbacv1.GroupKind:
		if s.Name == rbac.GroupMasters {
			return q.randomUser()
		}
		u := rbac.User{Name: q.probe(), Groups: []string{s.Name}}
		if q.r.IntN(2) == 0 {
			u.Name = pick(q.r, q.users)
		}
		if q.r.IntN(3) == 0 {
			u.Groups = append(u.Groups, pick(q.r, q.groups))
		}
		return u
	default:
		ns := s.Namespace
		if ns == "" {
			ns = b.Namespace
		}
		if q.r.IntN(2) == 0 {
			return rbac.ServiceAccount(ns, s.Name)
		}
		return rbac.User{Name: rbac.ServiceAccountUser(ns, s.Name)}
	}
}

// probe is a user name no binding names.
func (q *questioner) probe() string {
	q.probes++
	return fmt.Sprintf("kh-probe-%d", q.probes)
}

func (q *questioner) randomUser() rbac.User {
	var u rbac.User
	switch q.r.IntN(3) {
	case 0:
		if len(q.m.subjects) > 0 {
			if s := pick(q.r, q.m.subjects); s.Kind == rbacv1.ServiceAccountKind {
				return rbac.ServiceAccount(s.Namespace, s.Name)
			}
		}
		u.Name = q.probe()
	case 1:
		u.Name = pick(q.r, q.users)
	default:
		u.Name = q.probe()
	}
	for range q.r.IntN(3) {
		u.Groups = append(u.Groups, pick(q.r, q.groups))
	}
	return u
}

func (q *questioner) randomRequest() rbac.Request {
	if q.r.IntN(6) == 0 {
		return rbac.Request{Verb: pick(q.r, nonResourceVerbs), Path: pick(q.r, paths)}
	}
	req := rbac.Request{Verb: pick(q.r, requestVerbs), APIGroup: pick(q.r, apiGroups), Resource: pick(q.r, resources)}
	if q.r.IntN(4) == 0 {
		req.Subresource = pick(q.r, subresources)
	}
	req.Namespace = q.namespace()
	if q.r.IntN(2) == 0 {
		req.Name = pick(q.r, resourceNames)
	}
	return req
}

// namespace is a namespace to ask in: often a generated one, sometimes a
// built-in one, sometimes none (cluster-wide).
func (q *questioner) namespace() string {
	if q.r.IntN(4) == 0 {
		return ""
	}
	return pick(q.r, q.namespaces)
}

// requestFor is a request the rule covers, in the binding's namespace (or,
// for a ClusterRoleBinding, any or none), wildcards replaced by values.
func (q *questioner) requestFor(rule rbacv1.PolicyRule, ns string) rbac.Request {
	r := q.r
	verb := pickString(r, rule.Verbs)
	if len(rule.NonResourceURLs) > 0 {
		return rbac.Request{Verb: orAny(r, verb, nonResourceVerbs), Path: q.pathFor(pickString(r, rule.NonResourceURLs))}
	}
	req := rbac.Request{Verb: orAny(r, verb, requestVerbs), APIGroup: orAny(r, pickString(r, rule.APIGroups), apiGroups)}
	res := pickString(r, rule.Resources)
	switch {
	case res == "*":
		req.Resource = pick(r, resources)
		if r.IntN(3) == 0 {
			req.Subresource = pick(r, subresources)
		}
	case strings.HasPrefix(res, "*/"):
		req.Resource, req.Subresource = pick(r, resources), res[2:]
	default:
		req.Resource, req.Subresource, _ = strings.Cut(res, "/")
	}
	req.Namespace = ns
	if ns == "" {
		req.Namespace = q.namespace()
	}
	switch {
	case len(rule.ResourceNames) > 0:
		req.Name = pickString(r, rule.ResourceNames)
	case r.IntN(3) == 0:
		req.Name = pick(r, resourceNames)
	}
	return req
}

// pathFor is a path a nonResourceURLs entry covers.
func (q *questioner) pathFor(url string) string {
	switch {
	case url == "*":
		return pick(q.r, paths)
	case strings.HasSuffix(url, "*"):
		return strings.TrimSuffix(url, "*") + pick(q.r, []string{"", "x", "v1/pods", "heap"})
	}
	return url
}

// mutate changes one field of the identity or the request.
func (q *questioner) mutate(u rbac.User, req rbac.Request) (rbac.User, rbac.Request) {
	r := q.r
	if r.IntN(6) == 0 {
		switch {
		case len(u.Groups) > 0 && r.IntN(2) == 0:
			u.Groups = nil
		case r.IntN(2) == 0:
			u.Name = pick(r, q.users)
		default:
			u.Groups = []string{pick(r, q.groups)}
		}
		return u, req
	}
	if !req.IsResource() {
		if r.IntN(2) == 0 {
			req.Verb = pick(r, nonResourceVerbs)
		} else {
			req.Path = pick(r, paths)
		}
		return u, req
	}
	switch r.IntN(6) {
	case 0:
		req.Verb = pick(r, requestVerbs)
	case 1:
		req.APIGroup = pick(r, apiGroups)
	case 2:
		req.Resource = pick(r, resources)
	case 3:
		if req.Subresource != "" && r.IntN(2) == 0 {
			req.Subresource = ""
		} else {
			req.Subresource = pick(r, subresources)
		}
	case 4:
		req.Namespace = q.namespace()
	default:
		if req.Name != "" && r.IntN(2) == 0 {
			req.Name = ""
		} else {
			req.Name = pick(r, append([]string{"delta"}, resourceNames...))
		}
	}
	return u, req
}

func pickString(r *rand.Rand, from []string) string {
	if len(from) == 0 {
		return ""
	}
	return pick(r, from)
}

// orAny replaces "*" (or nothing) by a value of the pool.
func orAny(r *rand.Rand, v string, pool []string) string {
	if v == "*" || v == "" {
		return pick(r, pool)
	}
	return v
}
