package rbacgen

import (
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// model is what Questions reads from a generated set: namespaces, rules,
// and bindings with their subjects.
type model struct {
	namespaces   []string
	clusterRoles map[string]*rbacv1.ClusterRole
	clusterNames []string                // sorted
	roles        map[string]*rbacv1.Role // namespace + "/" + name
	bindings     []bindingOf
	subjects     []Subject
	users        []string
	groups       []string
	allRules     []rbacv1.PolicyRule
	aggregated   map[string][]rbacv1.PolicyRule // memo of effectiveRules
}

// bindingOf is a RoleBinding (Namespace set) or ClusterRoleBinding.
type bindingOf struct {
	Namespace string
	RoleRef   rbacv1.RoleRef
	Subjects  []rbacv1.Subject
}

// Subject is a binding subject as the authorizer matches it: Kind User,
// Group or ServiceAccount, and for a ServiceAccount the namespace it is in
// (the binding's when the subject leaves it out).
type Subject struct {
	Kind, Name, Namespace string
}

// Subjects lists the distinct subjects of the bindings of a set, sorted.
func Subjects(objects []map[string]any) []Subject {
	return readModel(objects).subjects
}

// readModel converts the objects to typed RBAC objects; objects it cannot
// convert are skipped (the set is ours, not outside input).
func readModel(objects []map[string]any) *model {
	m := &model{clusterRoles: map[string]*rbacv1.ClusterRole{}, roles: map[string]*rbacv1.Role{},
		aggregated: map[string][]rbacv1.PolicyRule{}}
	conv := runtime.DefaultUnstructuredConverter
	seenSubject := map[Subject]bool{}
	seenUser, seenGroup := map[string]bool{}, map[string]bool{}
	addBinding := func(b bindingOf) {
		m.bindings = append(m.bindings, b)
		for _, s := range b.Subjects {
			k := Subject{Kind: s.Kind, Name: s.Name}
			switch s.Kind {
			case rbacv1.ServiceAccountKind:
				k.Namespace = s.Namespace
				if k.Namespace == "" {
					k.Namespace = b.Namespace
				}
			case rbacv1.UserKind:
				if !seenUser[s.Name] {
					seenUser[s.Name] = true
					m.users = append(m.users, s.Name)
				}
			case rbacv1.GroupKind:
				if !seenGroup[s.Name] {
					seenGroup[s.Name] = true
					m.groups = append(m.groups, s.Name)
				}
			}
			if !seenSubject[k] {
				seenSubject[k] = true
				m.subjects = append(m.subjects, k)
			}
		}
	}
	for _, o := range objects {
		kind, _ := o["kind"].(string)
		switch kind {
		case "Namespace":
			if md, ok := o["metadata"].(map[string]any); ok {
				if name, ok := md["name"].(string); ok {
					m.namespaces = append(m.namespaces, name)
				}
			}
		case "ClusterRole":
			var cr rbacv1.ClusterRole
			if conv.FromUnstructured(o, &cr) == nil {
				m.clusterRoles[cr.Name] = &cr
				if cr.AggregationRule == nil {
					m.allRules = append(m.allRules, cr.Rules...)
				}
			}
		case "Role":
			var r rbacv1.Role
			if conv.FromUnstructured(o, &r) == nil {
				m.roles[r.Namespace+"/"+r.Name] = &r
				m.allRules = append(m.allRules, r.Rules...)
			}
		case "ClusterRoleBinding":
			var b rbacv1.ClusterRoleBinding
			if conv.FromUnstructured(o, &b) == nil {
				addBinding(bindingOf{RoleRef: b.RoleRef, Subjects: b.Subjects})
			}
		case "RoleBinding":
			var b rbacv1.RoleBinding
			if conv.FromUnstructured(o, &b) == nil {
				addBinding(bindingOf{Namespace: b.Namespace, RoleRef: b.RoleRef, Subjects: b.Subjects})
			}
		}
	}
	m.clusterNames = sortedNames(m.clusterRoles)
	sort.Slice(m.subjects, func(i, j int) bool {
		a, b := m.subjects[i], m.subjects[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	return m
}

// rulesOf is what a binding's role grants, as far as the set knows: nil
// for a built-in or missing role.
func (m *model) rulesOf(b bindingOf) []rbacv1.PolicyRule {
	if b.RoleRef.Kind == "Role" {
		if r := m.roles[b.Namespace+"/"+b.RoleRef.Name]; r != nil {
			return r.Rules
		}
		return nil
	}
	return m.effectiveRules(b.RoleRef.Name, map[string]bool{})
}

// effectiveRules resolves aggregation roughly (every rule of every role
// selected, duplicates kept): enough to ask about rules a role holds.
func (m *model) effectiveRules(name string, visiting map[string]bool) []rbacv1.PolicyRule {
	cr := m.clusterRoles[name]
	if cr == nil || visiting[name] {
		return nil
	}
	if cr.AggregationRule == nil {
		return cr.Rules
	}
	if rules, ok := m.aggregated[name]; ok {
		return rules
	}
	visiting[name] = true
	var rules []rbacv1.PolicyRule
	for i := range cr.AggregationRule.ClusterRoleSelectors {
		sel, err := metav1.LabelSelectorAsSelector(&cr.AggregationRule.ClusterRoleSelectors[i])
		if err != nil {
			continue
		}
		for _, other := range m.clusterNames {
			c := m.clusterRoles[other]
			if other != name && sel.Matches(labels.Set(c.Labels)) {
				rules = append(rules, m.effectiveRules(other, visiting)...)
			}
		}
	}
	delete(visiting, name)
	m.aggregated[name] = rules
	return rules
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
