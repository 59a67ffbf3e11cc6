package rbac

import (
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/pkg/inventory"
)

// readRole turns a Role or ClusterRole object into a Role. Fields of the
// wrong type are reported as problems and read as empty, as far as possible
// keeping the rest of the role.
func (x *Index) readRole(o *inventory.Object) *Role {
	r := &Role{Ref: o.Ref, Object: o, BuiltIn: isBuiltIn(o)}
	if r.Ref.Name == "" {
		x.problem(o, "%s without a name is ignored", o.Ref.Kind)
		return nil
	}
	rules, err := readRules(o.Content["rules"])
	if err != nil {
		x.problem(o, "rules: %v", err)
	}
	r.declared, r.Rules = rules, rules
	if o.Ref.Kind == "ClusterRole" {
		if agg, ok := o.Content["aggregationRule"]; ok && agg != nil {
			sels, texts, err := readAggregation(agg)
			if err != nil {
				x.problem(o, "aggregationRule: %v", err)
			}
			r.selectors, r.Aggregation = sels, texts
			if r.Aggregation == nil {
				r.Aggregation = []string{}
			}
		}
	}
	return r
}

func readRules(v any) ([]rbacv1.PolicyRule, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want a list of rules, got %s", inventory.TypeName(v))
	}
	var out []rbacv1.PolicyRule
	var firstErr error
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			if firstErr == nil {
				firstErr = fmt.Errorf("rules[%d]: want a mapping, got %s", i, inventory.TypeName(item))
			}
			continue
		}
		var rule rbacv1.PolicyRule
		var err error
		for _, f := range []struct {
			key string
			dst *[]string
		}{
			{"verbs", &rule.Verbs}, {"apiGroups", &rule.APIGroups}, {"resources", &rule.Resources},
			{"resourceNames", &rule.ResourceNames}, {"nonResourceURLs", &rule.NonResourceURLs},
		} {
			if *f.dst, err = inventory.StringList(m[f.key]); err != nil && firstErr == nil {
				firstErr = fmt.Errorf("rules[%d].%s: %v", i, f.key, err)
			}
		}
		out = append(out, rule)
	}
	return out, firstErr
}

// readBinding turns a RoleBinding or ClusterRoleBinding into a Binding.
func (x *Index) readBinding(o *inventory.Object) *Binding {
	b := &Binding{Ref: o.Ref, Object: o, BuiltIn: isBuiltIn(o)}
	if b.Ref.Name == "" {
		x.problem(o, "%s without a name is ignored", o.Ref.Kind)
		return nil
	}
	ref, ok := o.Content["roleRef"].(map[string]any)
	if !ok {
		x.problem(o, "roleRef is missing or not a mapping: the binding grants nothing")
	}
	b.RoleRef.APIGroup, _ = ref["apiGroup"].(string)
	b.RoleRef.Kind, _ = ref["kind"].(string)
	b.RoleRef.Name, _ = ref["name"].(string)
	if ok && (b.RoleRef.Name == "" || b.RoleRef.Kind == "") {
		x.problem(o, "roleRef needs a kind and a name")
	}
	if v, present := o.Content["subjects"]; present && v != nil {
		list, ok := v.([]any)
		if !ok {
			x.problem(o, "subjects: want a list, got %s", inventory.TypeName(v))
		}
		for i, item := range list {
			m, ok := item.(map[string]any)
			if !ok {
				x.problem(o, "subjects[%d]: want a mapping, got %s", i, inventory.TypeName(item))
				continue
			}
			var s rbacv1.Subject
			s.Kind, _ = m["kind"].(string)
			s.APIGroup, _ = m["apiGroup"].(string)
			s.Name, _ = m["name"].(string)
			s.Namespace, _ = m["namespace"].(string)
			switch s.Kind {
			case rbacv1.UserKind, rbacv1.GroupKind:
			case rbacv1.ServiceAccountKind:
				if b.SubjectNamespace(s) == "" {
					x.problem(o, "subjects[%d]: ServiceAccount %q has no namespace: it matches nobody", i, s.Name)
				}
			default:
				x.problem(o, "subjects[%d]: unknown subject kind %q (want User, Group or ServiceAccount): it matches nobody", i, s.Kind)
			}
			if s.Name == "" {
				x.problem(o, "subjects[%d]: subject without a name", i)
			}
			b.Subjects = append(b.Subjects, s)
		}
	}
	return b
}

// readAggregation reads aggregationRule.clusterRoleSelectors as label
// selectors, with the apimachinery semantics (matchLabels and
// matchExpressions ANDed; an empty selector matches every ClusterRole).
func readAggregation(v any) ([]selector, []string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("want a mapping, got %s", inventory.TypeName(v))
	}
	raw, present := m["clusterRoleSelectors"]
	if !present || raw == nil {
		return nil, nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, nil, fmt.Errorf("clusterRoleSelectors: want a list, got %s", inventory.TypeName(raw))
	}
	var sels []selector
	var texts []string
	var firstErr error
	for i, item := range list {
		ls, err := inventory.LabelSelector(item)
		if err == nil {
			var sel selector
			sel, err = newSelector(ls)
			if err == nil {
				sels = append(sels, sel)
				texts = append(texts, sel.String())
				continue
			}
		}
		if firstErr == nil {
			firstErr = fmt.Errorf("clusterRoleSelectors[%d]: %v (it selects nothing)", i, err)
		}
	}
	return sels, texts, firstErr
}
