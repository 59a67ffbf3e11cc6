package inventory

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// StringList reads a list of strings from unstructured content (nil for
// nil), naming what it found instead when it is something else.
func StringList(v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want a list of strings, got %s", TypeName(v))
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		s, ok := item.(string)
		if !ok {
			return out, fmt.Errorf("want a string, got %s", TypeName(item))
		}
		out = append(out, s)
	}
	return out, nil
}

// LabelSelector reads a metav1.LabelSelector from unstructured content: nil
// is the empty selector; fields of the wrong type are errors naming them.
func LabelSelector(v any) (*metav1.LabelSelector, error) {
	if v == nil {
		return &metav1.LabelSelector{}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want a mapping, got %s", TypeName(v))
	}
	ls := &metav1.LabelSelector{}
	if ml, ok := m["matchLabels"]; ok && ml != nil {
		mm, ok := ml.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("matchLabels: want a mapping, got %s", TypeName(ml))
		}
		ls.MatchLabels = map[string]string{}
		for k, v := range mm {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("matchLabels.%s: want a string, got %s", k, TypeName(v))
			}
			ls.MatchLabels[k] = s
		}
	}
	if me, ok := m["matchExpressions"]; ok && me != nil {
		list, ok := me.([]any)
		if !ok {
			return nil, fmt.Errorf("matchExpressions: want a list, got %s", TypeName(me))
		}
		for i, item := range list {
			em, ok := item.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("matchExpressions[%d]: want a mapping, got %s", i, TypeName(item))
			}
			var req metav1.LabelSelectorRequirement
			req.Key, _ = em["key"].(string)
			op, _ := em["operator"].(string)
			req.Operator = metav1.LabelSelectorOperator(op)
			vals, err := StringList(em["values"])
			if err != nil {
				return nil, fmt.Errorf("matchExpressions[%d].values: %v", i, err)
			}
			req.Values = vals
			ls.MatchExpressions = append(ls.MatchExpressions, req)
		}
	}
	return ls, nil
}

// TypeName names the JSON type of an unstructured value for messages
// ("a string", "a list").
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64, float64, int:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}
