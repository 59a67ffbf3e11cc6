package rbac

import (
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// selector is one clusterRoleSelector, parsed by apimachinery.
type selector struct {
	labels.Selector
}

func newSelector(ls *metav1.LabelSelector) (selector, error) {
	s, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return selector{}, err
	}
	return selector{s}, nil
}

// maxAggregationRounds bounds the fixed-point iteration; chains of
// aggregated roles settle in as many rounds as they are deep.
const maxAggregationRounds = 64

// aggregate gives every ClusterRole with an aggregationRule the rules the
// clusterrole-aggregation controller of kube-controller-manager gives it:
// for each selector in order, the ClusterRoles it matches (other than the
// role itself) in name order, each rule of theirs once, the role's own
// declared rules replaced. When that union is empty the role keeps its
// declared rules: the controller server-side applies the union, and an
// apply without rules leaves rules another manager wrote alone. Roles
// selecting aggregated roles see their aggregated rules: the controller
// re-syncs until nothing changes, and so does this.
func (x *Index) aggregate() {
	var aggregated []*Role
	for _, r := range x.Roles {
		if r.Cluster() && r.Aggregation != nil {
			aggregated = append(aggregated, r)
		}
	}
	if len(aggregated) == 0 {
		return
	}
	byLabel := map[string][]*Role{}
	var all []*Role
	for _, r := range x.Roles {
		if !r.Cluster() {
			continue
		}
		all = append(all, r)
		for k, v := range r.Object.Labels() {
			byLabel[k+"="+v] = append(byLabel[k+"="+v], r)
		}
	}
	// Matches never change (labels are fixed); only rules do.
	matches := make([][]*Role, len(aggregated))
	for i, r := range aggregated {
		seen := map[*Role]bool{}
		var ms []*Role
		for _, sel := range r.selectors {
			var found []*Role
			for _, c := range candidates(sel, byLabel, all) {
				if c != r && !seen[c] && sel.Matches(labels.Set(c.Object.Labels())) {
					found = append(found, c)
				}
			}
			sort.Slice(found, func(a, b int) bool { return found[a].Ref.Name < found[b].Ref.Name })
			for _, c := range found {
				seen[c] = true
			}
			ms = append(ms, found...)
		}
		matches[i] = ms
	}
	for round := 0; round < maxAggregationRounds; round++ {
		changed := false
		for i, r := range aggregated {
			rules, sources := aggregateRules(matches[i])
			if len(rules) == 0 {
				rules, sources = r.declared, nil
			}
			if !sameRules(rules, r.Rules) {
				changed = true
			}
			r.Rules, r.RuleSources = rules, sources
		}
		if !changed {
			return
		}
	}
}

// aggregateRules is the union of the matched roles' current rules, each
// rule once, in the order the controller appends them.
func aggregateRules(from []*Role) ([]rbacv1.PolicyRule, []string) {
	rules := []rbacv1.PolicyRule{}
	var sources []string
	seen := map[string]bool{}
	for _, c := range from {
		for _, rule := range c.Rules {
			k := ruleKey(rule)
			if seen[k] {
				continue
			}
			seen[k] = true
			rules = append(rules, rule)
			sources = append(sources, c.Ref.Name)
		}
	}
	return rules, sources
}

// candidates narrows the ClusterRoles a selector may match with the label
// index: an equality or "in" requirement names the only label values that
// can match. Without one, every ClusterRole is a candidate.
func candidates(sel selector, byLabel map[string][]*Role, all []*Role) []*Role {
	reqs, _ := sel.Requirements()
	var best []*Role
	found := false
	for _, req := range reqs {
		switch req.Operator() {
		case selection.Equals, selection.DoubleEquals, selection.In:
		default:
			continue
		}
		var c []*Role
		for _, v := range req.Values().UnsortedList() {
			c = append(c, byLabel[req.Key()+"="+v]...)
		}
		if !found || len(c) < len(best) {
			best, found = c, true
		}
	}
	if !found {
		return all
	}
	return best
}

// ruleKey identifies a rule as the controller's semantic equality does (nil
// and empty lists alike, order within lists significant).
func ruleKey(r rbacv1.PolicyRule) string {
	var b strings.Builder
	for _, list := range [][]string{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames, r.NonResourceURLs} {
		for _, s := range list {
			b.WriteString(s)
			b.WriteByte(0)
		}
		b.WriteByte(1)
	}
	return b.String()
}

func sameRules(a, b []rbacv1.PolicyRule) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if ruleKey(a[i]) != ruleKey(b[i]) {
			return false
		}
	}
	return true
}
