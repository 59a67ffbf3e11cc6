package report

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/kharden/kharden/pkg/finding"
)

// Markdown for pull-request comments: a summary table by severity, then the
// findings grouped by file with one collapsible <details> per rule (worst
// rules first). All text from the input is escaped, so a name or message
// cannot break the table or inject markup.

// noFileHeading titles findings on objects that did not come from a file.
const noFileHeading = "Objects without a file"

func renderMarkdown(w io.Writer, v *view) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	s := v.summary
	name := mdEscape(v.toolName())

	if s.Findings == 0 {
		p("## %s: no findings\n\n", name)
	} else {
		p("## %s: %s\n\n", name, plural(s.Findings, "finding", "findings"))
	}
	p("| Severity | Findings |\n| :-- | --: |\n")
	sevs := finding.Severities()
	for i := len(sevs) - 1; i >= 0; i-- {
		p("| %s | %d |\n", sevs[i], s.BySeverity.Of(sevs[i]))
	}
	p("\n%s.\n", markdownTotals(s))
	if len(v.Inputs) > 0 || v.Baseline != "" {
		var parts []string
		if len(v.Inputs) > 0 {
			ins := make([]string, len(v.Inputs))
			for i, in := range v.Inputs {
				ins[i] = mdCode(in)
			}
			parts = append(parts, "Inputs: "+strings.Join(ins, ", "))
		}
		if v.Baseline != "" {
			parts = append(parts, "Baseline: "+mdCode(v.Baseline))
		}
		p("%s.\n", strings.Join(parts, ". "))
	}

	var unsuppressed, suppressed []finding.Finding
	for _, f := range v.findings {
		if f.Suppressed == nil {
			unsuppressed = append(unsuppressed, f)
		} else {
			suppressed = append(suppressed, f)
		}
	}
	for _, file := range groupByFile(unsuppressed) {
		heading := noFileHeading
		if file.name != "" {
			heading = mdEscape(file.name)
		}
		p("\n### %s\n", heading)
		for _, rf := range groupByRule(file.findings) {
			markdownRule(bw, v.rule(&rf[0]), rf)
		}
	}
	if v.ShowSuppressed && len(suppressed) > 0 {
		markdownSuppressed(bw, suppressed)
	}
	if len(v.diags) > 0 {
		p("\n### Input problems\n\n")
		for _, d := range v.diags {
			level := "error"
			if d.Warning {
				level = "warning"
			}
			loc := d.File
			if d.Line > 0 {
				loc += ":" + strconv.Itoa(d.Line)
			}
			if loc != "" {
				p("- **%s** %s: %s\n", level, mdCode(loc), mdEscape(d.Message))
			} else {
				p("- **%s** %s\n", level, mdEscape(d.Message))
			}
		}
	}
	return bw.Flush()
}

// markdownTotals is the sentence under the severity table.
func markdownTotals(s Summary) string {
	parts := []string{
		strconv.Itoa(s.Suppressed) + " suppressed",
		plural(s.Objects, "object", "objects") + " scanned",
		plural(s.Rules, "rule", "rules") + " run",
	}
	if s.Errors > 0 {
		parts = append(parts, plural(s.Errors, "input error", "input errors"))
	}
	if s.Warnings > 0 {
		parts = append(parts, plural(s.Warnings, "warning", "warnings"))
	}
	return strings.Join(parts, ", ")
}

func markdownRule(w *bufio.Writer, r Rule, fs []finding.Finding) {
	title := htmlText(string(r.ID))
	if r.Summary != "" {
		title += ": " + htmlText(r.Summary)
	}
	fmt.Fprintf(w, "\n<details>\n<summary><b>%s</b> %s (%d)</summary>\n\n",
		strings.ToUpper(fs[0].Severity.String()), title, len(fs))
	w.WriteString("| Line | Object | Field | Message |\n| --: | :-- | :-- | :-- |\n")
	for _, f := range fs {
		line := ""
		if _, l, _ := sourceOf(&f); l > 0 {
			line = strconv.Itoa(l)
		}
		field := mdCode(f.Path)
		if f.Container != "" {
			field = strings.TrimSpace(field + " (container " + mdCode(f.Container) + ")")
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", line, mdCode(f.Object.String()), field, mdEscape(f.Message))
	}
	remediation := r.Remediation
	if remediation == "" {
		remediation = fs[0].Remediation
	}
	if remediation != "" {
		fmt.Fprintf(w, "\n**Remediation:**\n\n%s\n", mdBlock(remediation))
	}
	refs := r.References
	if len(refs) == 0 {
		refs = fs[0].References
	}
	if len(refs) > 0 {
		esc := make([]string, len(refs))
		for i, ref := range refs {
			esc[i] = mdEscape(ref)
		}
		fmt.Fprintf(w, "\n**References:** %s\n", strings.Join(esc, ", "))
	}
	w.WriteString("\n</details>\n")
}

func markdownSuppressed(w *bufio.Writer, fs []finding.Finding) {
	fmt.Fprintf(w, "\n<details>\n<summary>%s</summary>\n\n",
		plural(len(fs), "suppressed finding", "suppressed findings"))
	w.WriteString("| Rule | Object | Field | Suppressed by | Reason | Owner | Expires |\n" +
		"| :-- | :-- | :-- | :-- | :-- | :-- | :-- |\n")
	for _, f := range fs {
		s := f.Suppressed
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n",
			mdCode(string(f.Rule)), mdCode(f.Object.String()), mdCode(f.Path),
			mdEscape(string(s.Kind)), mdEscape(s.Reason), mdEscape(s.Owner), mdEscape(s.Expires))
	}
	w.WriteString("\n</details>\n")
}

type fileGroup struct {
	name     string
	findings []finding.Finding
}

// groupByFile groups sorted findings by file, keeping the sorted order of
// files (findings without a file come last).
func groupByFile(fs []finding.Finding) []fileGroup {
	var out []fileGroup
	for _, f := range fs {
		file, _, _ := sourceOf(&f)
		if len(out) == 0 || out[len(out)-1].name != file {
			out = append(out, fileGroup{name: file})
		}
		out[len(out)-1].findings = append(out[len(out)-1].findings, f)
	}
	return out
}

// groupByRule groups one file's findings by rule, worst severity first,
// then by rule id; findings keep their line order inside a rule.
func groupByRule(fs []finding.Finding) [][]finding.Finding {
	idx := map[finding.RuleID]int{}
	var out [][]finding.Finding
	for _, f := range fs {
		i, ok := idx[f.Rule]
		if !ok {
			i = len(out)
			idx[f.Rule] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], f)
	}
	slices.SortStableFunc(out, func(a, b []finding.Finding) int {
		return cmp.Or(severityDesc(a[0].Severity, b[0].Severity), strings.Compare(string(a[0].Rule), string(b[0].Rule)))
	})
	return out
}
