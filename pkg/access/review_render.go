package access

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable prints the review for people: the cluster admins, the
// break-glass findings and the groups by style. Text from the input is
// escaped. Warnings are not printed here; they go to stderr.
func (r *AccessReview) WriteTable(w io.Writer) error {
	fmt.Fprintln(w, "Cluster-admin equivalent rights:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAMESPACE\tNAME\tVIA")
	for _, h := range r.ClusterAdmins {
		name := rbSafe(h.Name)
		if h.BreakGlass {
			name += " (break-glass)"
		}
		vias := make([]string, 0, len(h.Via)+1)
		if h.Privileged {
			vias = append(vias, mastersHolderNote)
		}
		for _, v := range h.Via {
			vias = append(vias, v.String())
		}
		for i, v := range vias {
			if i == 0 {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", h.Kind, rbSafe(h.Namespace), name, v)
			} else {
				fmt.Fprintf(tw, "\t\t\t%s\n", v)
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w)
	if len(r.BreakGlassGroups) == 0 {
		fmt.Fprintln(w, "Break-glass groups: none configured (breakGlassGroups in .kharden.yaml); not checked.")
	} else {
		fmt.Fprintf(w, "Break-glass groups: %s\n", rbJoin(r.BreakGlassGroups))
		shown := 0
		for _, f := range r.Findings {
			line := fmt.Sprintf("  %s  %s  %s", strings.ToUpper(f.Severity.String()), f.Rule, rbSafe(f.Message))
			if f.Source != nil {
				loc := f.Source.File
				if f.Source.Line > 0 {
					loc = fmt.Sprintf("%s:%d", loc, f.Source.Line)
				}
				line += " (" + rbSafe(loc) + ")"
			}
			if f.Suppressed != nil {
				line += " [suppressed: " + string(f.Suppressed.Kind) + "]"
			}
			fmt.Fprintln(w, line)
			shown++
		}
		if shown == 0 {
			fmt.Fprintln(w, "  No one holds cluster-admin rights outside them.")
		}
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "Groups by the style of rights they hold:")
	if len(r.Groups) == 0 {
		fmt.Fprintln(w, "  (no group is named by a binding)")
		return nil
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STYLE\tGROUP\tNAMESPACES")
	for _, g := range r.Groups {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", g.Style, rbSafe(g.Name), rbJoin(g.Namespaces))
	}
	return tw.Flush()
}
