package rbacgen

import "fmt"

// aggregatedRoles makes the ClusterRoles with an aggregationRule. The first
// selects nothing and declares a rule, which it keeps (the controller
// applies no rules when it finds none). Every one but the first carries a chainLabel value of
// its own, and every fourth selects earlier aggregated roles by it: chains
// of aggregation without cycles (the controller's result for a cycle
// depends on timing). A third declare rules of their own, which
// aggregation replaces.
func (g *gen) aggregatedRoles() []map[string]any {
	var out []map[string]any
	for i := range g.size.AggregatedRoles {
		name := fmt.Sprintf("kh-agg-%d", i)
		g.aggregated = append(g.aggregated, name)
		var labels map[string]any
		if i > 0 {
			labels = map[string]any{chainLabel: chainValue(i)}
		}
		var selectors []any
		switch {
		case i == 0:
			selectors = []any{map[string]any{"matchLabels": map[string]any{aggLabel: "none"}}}
		case i%4 == 3:
			selectors = []any{g.chainSelector(i)}
			if g.r.IntN(2) == 0 {
				selectors = append(selectors, g.labelSelector())
			}
		default:
			for range 1 + g.r.IntN(2) {
				selectors = append(selectors, g.labelSelector())
			}
		}
		var rules []any
		if i == 0 || g.r.IntN(3) == 0 {
			rules = []any{g.resourceRule()}
		}
		o := object("ClusterRole", "", name, labels, rules)
		o["aggregationRule"] = map[string]any{"clusterRoleSelectors": selectors}
		out = append(out, o)
	}
	return out
}

func chainValue(i int) string { return fmt.Sprintf("c%d", i) }

// chainSelector selects one or two earlier aggregated roles (never the
// first, which has no chain label): four back, itself a chain selector,
// half of the time, so that chains are three deep and more.
func (g *gen) chainSelector(i int) map[string]any {
	vals := []any{chainValue(1 + g.r.IntN(i-1))}
	if i > 4 && g.r.IntN(2) == 0 {
		vals = append(vals, chainValue(i-4))
	}
	return map[string]any{"matchExpressions": []any{
		map[string]any{"key": chainLabel, "operator": "In", "values": vals},
	}}
}

// labelSelector selects plain ClusterRoles of one or two aggLabel values,
// narrowed by tierLabel or extraLabel with every operator.
func (g *gen) labelSelector() map[string]any {
	groups := aggGroups(g.size)
	grp := func() string { return fmt.Sprintf("g%d", g.r.IntN(groups)) }
	expr := func(key, op string, values ...string) map[string]any {
		m := map[string]any{"key": key, "operator": op}
		if len(values) > 0 {
			vs := make([]any, len(values))
			for i, v := range values {
				vs[i] = v
			}
			m["values"] = vs
		}
		return m
	}
	switch g.r.IntN(7) {
	case 0:
		return map[string]any{"matchLabels": map[string]any{aggLabel: grp()}}
	case 1:
		return map[string]any{"matchLabels": map[string]any{aggLabel: grp()},
			"matchExpressions": []any{expr(tierLabel, "In", "a", "b")}}
	case 2:
		return map[string]any{"matchLabels": map[string]any{aggLabel: grp()},
			"matchExpressions": []any{expr(tierLabel, "NotIn", "c")}}
	case 3:
		return map[string]any{"matchExpressions": []any{expr(aggLabel, "In", grp(), grp()), expr(extraLabel, "Exists")}}
	case 4:
		return map[string]any{"matchExpressions": []any{expr(aggLabel, "In", grp()), expr(extraLabel, "DoesNotExist")}}
	case 5:
		return map[string]any{"matchLabels": map[string]any{aggLabel: grp(), tierLabel: "a"}}
	default:
		return map[string]any{"matchLabels": map[string]any{aggLabel: grp()},
			"matchExpressions": []any{expr(aggLabel, "Exists"), expr(tierLabel, "NotIn", "a", "b"), expr(extraLabel, "DoesNotExist")}}
	}
}
