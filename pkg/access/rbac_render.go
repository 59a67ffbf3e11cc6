package access

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/kharden/kharden/pkg/analysis/rbac"
)

// mastersNote explains the system:masters row.
const mastersNote = "the API server's privileged group: allowed everything, RBAC is not asked"

// WriteTable prints the answer for people: a heading with the question,
// then one row per subject (further grants on continuation lines). Text
// from the input is escaped: it cannot move the cursor or reorder the
// line. Warnings are not printed here; they go to stderr.
func (a *WhoCanAnswer) WriteTable(w io.Writer) error {
	heading := "Who can " + a.Request.String()
	if a.AllNamespaces {
		heading = strings.TrimSuffix(heading, " cluster-wide") + " in each namespace"
	}
	if _, err := fmt.Fprintln(w, rbSafe(heading)+":"); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if a.AllNamespaces {
		fmt.Fprintln(tw, "KIND\tNAMESPACE\tNAME\tNAMESPACES\tVIA")
	} else {
		fmt.Fprintln(tw, "KIND\tNAMESPACE\tNAME\tVIA")
	}
	for _, s := range a.Subjects {
		lead := []string{s.Kind, rbSafe(s.Namespace), rbSafe(s.Name)}
		if a.AllNamespaces {
			lead = append(lead, rbJoin(s.Namespaces))
		}
		vias := make([]string, 0, len(s.Via))
		for _, v := range s.Via {
			vias = append(vias, v.String())
		}
		if s.Privileged {
			vias = []string{mastersNote}
		}
		if len(vias) == 0 {
			vias = []string{""}
		}
		for i, v := range vias {
			cells := lead
			if i > 0 {
				cells = make([]string, len(lead))
			}
			fmt.Fprintln(tw, strings.Join(append(append([]string{}, cells...), v), "\t"))
		}
	}
	return tw.Flush()
}

// WriteTable prints the rules a subject holds for people: per namespace,
// cluster-wide first, each rule with the binding, role and rule index it
// comes from.
func (a *CanAnswer) WriteTable(w io.Writer) error {
	s := a.Subject
	fmt.Fprintf(w, "%s %s", s.Kind, rbSafe(rbSubjectName(s)))
	if len(s.Groups) > 0 && s.Kind != "Group" {
		fmt.Fprintf(w, " (groups: %s)", rbJoin(s.Groups))
	}
	fmt.Fprintln(w)
	switch {
	case a.Privileged:
		fmt.Fprintln(w, "Member of "+rbac.GroupMasters+": "+mastersNote+".")
	case a.ClusterAdmin:
		fmt.Fprintln(w, "Cluster-admin equivalent: every verb on every resource cluster-wide.")
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, nr := range a.Namespaces {
		title := "cluster-wide (every namespace and cluster-scoped resources)"
		if nr.Namespace != "" {
			title = "namespace " + rbSafe(nr.Namespace)
		}
		fmt.Fprintln(tw, "\n"+title+":")
		if len(nr.Rules) == 0 {
			fmt.Fprintln(tw, "  (no rules)")
			continue
		}
		fmt.Fprintln(tw, "  RULE\tVIA")
		for _, r := range nr.Rules {
			v := r.Via
			via := fmt.Sprintf("%s -> %s rule %d", v.Binding, v.Role, v.Rule)
			if v.AggregatedFrom != "" {
				via += " (from " + v.AggregatedFrom + ")"
			}
			fmt.Fprintf(tw, "  %s\t%s\n", rbSafe(v.RuleText), rbSafe(via))
		}
	}
	return tw.Flush()
}

func rbSubjectName(s Subject) string {
	if s.Namespace != "" {
		return s.Namespace + "/" + s.Name
	}
	return s.Name
}
