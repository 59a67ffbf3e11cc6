package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// The table is for a person at a terminal: findings grouped by object, the
// object's file:line and kind/namespace/name as the group header, then one
// entry per finding:
//
//	deploy/web.yaml:14  Deployment/shop/web  (owner: payments)
//	  CRITICAL  31  privileged-container  spec.template.spec.containers[0].securityContext.privileged [app]
//	                Container "app" runs privileged.
//
// Columns: severity, line, rule, field path with the container, and the
// message wrapped under the rule. When the field path does not fit beside
// the rule it moves to its own line. Diagnostics and a summary line follow.

const (
	indent   = "  "
	gap      = "  "
	sevWidth = len("CRITICAL")
)

// ANSI colours of severities (and of diagnostic levels); nothing else is
// coloured so that the table stays readable when colour is lost.
var severityColors = map[finding.Severity]string{
	finding.SeverityCritical: "\x1b[1;31m",
	finding.SeverityHigh:     "\x1b[31m",
	finding.SeverityMedium:   "\x1b[33m",
	finding.SeverityLow:      "\x1b[36m",
	finding.SeverityInfo:     "\x1b[2m",
}

const ansiReset = "\x1b[0m"

type tableGroup struct {
	file     string
	line     int // lowest finding line; 0 when unknown
	object   finding.ObjectRef
	owner    string
	findings []finding.Finding
}

func renderTable(w io.Writer, v *view, o Options) error {
	cols := o.Width
	if cols <= 0 {
		cols = DefaultWidth
	}
	cols = max(cols, minWidth)
	bw := bufio.NewWriter(w)
	t := &tableWriter{w: bw, cols: cols, color: o.Color}

	fs := v.visible()
	if len(fs) == 0 {
		t.line("No findings.")
	}
	// Column widths are shared by all groups so that columns line up.
	var c columns
	for _, f := range fs {
		c.rule = max(c.rule, width(termSafe(string(f.Rule))))
		if _, l, _ := sourceOf(&f); l > 0 {
			c.line = max(c.line, len(strconv.Itoa(l)))
		}
	}
	for i, g := range groupByObject(fs) {
		if i > 0 {
			t.line("")
		}
		t.group(g, c)
	}
	if len(v.diags) > 0 {
		t.line("")
		t.line("Input problems:")
		for _, d := range v.diags {
			t.diagnostic(d)
		}
	}
	t.line("")
	t.line(summaryLine(v.summary))
	return bw.Flush()
}

// columns are the widths of the rule and line columns (line is 0 when no
// finding has a line).
type columns struct{ rule, line int }

type tableWriter struct {
	w     *bufio.Writer
	cols  int
	color bool
}

func (t *tableWriter) line(s string) {
	t.w.WriteString(strings.TrimRight(s, " "))
	t.w.WriteByte('\n')
}

func (t *tableWriter) group(g tableGroup, c columns) {
	header := termSafe(g.object.String())
	if g.file != "" {
		loc := termSafe(g.file)
		if g.line > 0 {
			loc += ":" + strconv.Itoa(g.line)
		}
		header = loc + gap + header
	}
	if g.owner != "" {
		header += gap + "(owner: " + termSafe(g.owner) + ")"
	}
	t.line(header)

	lineW, ruleW := c.line, c.rule
	msgIndent := len(indent) + sevWidth + len(gap)
	if lineW > 0 {
		msgIndent += lineW + len(gap)
	}
	cont := strings.Repeat(" ", msgIndent)
	msgCols := max(t.cols-msgIndent, 20)

	for _, f := range g.findings {
		var row strings.Builder
		row.WriteString(indent)
		row.WriteString(t.severity(f.Severity, f.Suppressed != nil, sevWidth))
		row.WriteString(gap)
		if lineW > 0 {
			l := ""
			if _, n, _ := sourceOf(&f); n > 0 {
				l = strconv.Itoa(n)
			}
			row.WriteString(strings.Repeat(" ", lineW-len(l)) + l + gap)
		}
		rule := termSafe(string(f.Rule))
		where := whereOf(&f)
		if where != "" && msgIndent+ruleW+len(gap)+width(where) > t.cols {
			// The path does not fit beside the rule: give it its own line.
			row.WriteString(rule)
			t.line(row.String())
			t.line(cont + where)
		} else {
			row.WriteString(pad(rule, ruleW) + gap + where)
			t.line(row.String())
		}
		for _, l := range wrap(termSafe(f.Message), msgCols) {
			t.line(cont + l)
		}
		if f.Suppressed != nil {
			for _, l := range wrap(suppressionText(f.Suppressed), msgCols) {
				t.line(cont + l)
			}
		}
	}
}

// severity renders a padded severity label, coloured when asked. Suppressed
// findings are never coloured: they do not count.
func (t *tableWriter) severity(s finding.Severity, suppressed bool, n int) string {
	label := strings.ToUpper(s.String())
	if !t.color || suppressed {
		return pad(label, n)
	}
	return severityColors[s] + label + ansiReset + strings.Repeat(" ", max(n-width(label), 0))
}

func (t *tableWriter) diagnostic(d inventory.Diagnostic) {
	level, sev := "ERROR", finding.SeverityHigh
	if d.Warning {
		level, sev = "WARNING", finding.SeverityMedium
	}
	label := pad(level, len("WARNING"))
	if t.color {
		label = severityColors[sev] + level + ansiReset + label[len(level):]
	}
	text := termSafe(d.String())
	prefix := indent + label + gap
	contIndent := strings.Repeat(" ", len(indent)+len("WARNING")+len(gap))
	for i, l := range wrap(text, max(t.cols-len(contIndent), 20)) {
		if i == 0 {
			t.line(prefix + l)
		} else {
			t.line(contIndent + l)
		}
	}
}

// whereOf names the offending field, and the container when there is one.
func whereOf(f *finding.Finding) string {
	where := termSafe(f.Path)
	if f.Container != "" {
		c := "[" + termSafe(f.Container) + "]"
		if where == "" {
			return "container " + c
		}
		where += " " + c
	}
	return where
}

func suppressionText(s *finding.Suppression) string {
	text := "suppressed by " + termSafe(string(s.Kind))
	var details []string
	if s.Reason != "" {
		details = append(details, termSafe(s.Reason))
	}
	if s.Owner != "" {
		details = append(details, "owner: "+termSafe(s.Owner))
	}
	if s.Expires != "" {
		details = append(details, "expires: "+termSafe(s.Expires))
	}
	if len(details) > 0 {
		text += " (" + strings.Join(details, "; ") + ")"
	}
	return text
}

// groupByObject groups sorted findings by file and object, in the order of
// each group's first finding.
func groupByObject(fs []finding.Finding) []tableGroup {
	type key struct {
		file string
		obj  finding.ObjectRef
	}
	idx := map[key]int{}
	var groups []tableGroup
	for _, f := range fs {
		file, line, _ := sourceOf(&f)
		k := key{file, f.Object}
		i, ok := idx[k]
		if !ok {
			i = len(groups)
			idx[k] = i
			groups = append(groups, tableGroup{file: file, object: f.Object})
		}
		g := &groups[i]
		if line > 0 && (g.line == 0 || line < g.line) {
			g.line = line
		}
		if g.owner == "" {
			g.owner = f.Owner
		}
		g.findings = append(g.findings, f)
	}
	return groups
}

// summaryLine is the last line of the table, e.g. "7 findings (critical: 1,
// high: 2, medium: 1, low: 2, info: 1), 2 suppressed, 12 objects scanned".
func summaryLine(s Summary) string {
	var b strings.Builder
	b.WriteString(plural(s.Findings, "finding", "findings"))
	b.WriteString(" (")
	sevs := finding.Severities()
	for i := len(sevs) - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "%s: %d", sevs[i], s.BySeverity.Of(sevs[i]))
		if i > 0 {
			b.WriteString(", ")
		}
	}
	fmt.Fprintf(&b, "), %d suppressed, %s scanned", s.Suppressed, plural(s.Objects, "object", "objects"))
	if s.Errors > 0 {
		b.WriteString(", " + plural(s.Errors, "input error", "input errors"))
	}
	if s.Warnings > 0 {
		b.WriteString(", " + plural(s.Warnings, "warning", "warnings"))
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
