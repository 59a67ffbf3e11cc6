package access

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/finding"
)

// Ref names an RBAC object: a binding or a role.
type Ref struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

func rbRef(o finding.ObjectRef) Ref { return Ref{Kind: o.Kind, Namespace: o.Namespace, Name: o.Name} }

// String renders the reference as kubectl names objects: Kind/ns/name.
func (r Ref) String() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// Via is one reason a subject holds a right: the binding, the role it
// refers to, and the rule of that role. Rule numbers the role's effective
// rules from 1, as the RBAC risk findings do (for an aggregated
// ClusterRole, the rules aggregation gives it, of which AggregatedFrom
// names the source).
type Via struct {
	Binding        Ref    `json:"binding"`
	Role           Ref    `json:"role"`
	Rule           int    `json:"rule"`
	RuleText       string `json:"ruleText"`
	AggregatedFrom string `json:"aggregatedFrom,omitempty"`
}

func rbVia(g rbac.Grant) Via {
	v := Via{Binding: rbRef(g.Binding.Ref), Role: rbRef(g.Role.Ref), Rule: g.Rule + 1, RuleText: rbac.RuleString(g.PolicyRule())}
	if g.Role.Aggregation != nil && g.Rule < len(g.Role.RuleSources) {
		v.AggregatedFrom = "ClusterRole/" + g.Role.RuleSources[g.Rule]
	}
	return v
}

// String renders the grant as the tables show it:
// ClusterRoleBinding/x -> ClusterRole/y rule 2: get,list secrets (from ClusterRole/z).
func (v Via) String() string {
	s := fmt.Sprintf("%s -> %s rule %d: %s", v.Binding, v.Role, v.Rule, v.RuleText)
	if v.AggregatedFrom != "" {
		s += " (from " + v.AggregatedFrom + ")"
	}
	return rbSafe(s)
}

// rbSafe makes text read from the input safe to print on a terminal and in
// a tab-separated table: anything but printable characters (control codes,
// tabs, bidirectional overrides, invalid UTF-8) makes the text quoted with
// escapes.
func rbSafe(s string) string {
	if !utf8.ValidString(s) {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// rbJoin joins names for a table cell.
func rbJoin(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = rbSafe(n)
	}
	return strings.Join(out, ",")
}
