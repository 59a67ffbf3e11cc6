// Package report renders the result of a scan — findings, the rules that ran
// and input diagnostics — for people (table, markdown) and machines (JSON
// with a versioned schema, SARIF 2.1.0, JUnit XML).
//
// Every renderer is deterministic: it sorts its own copy of the report, so
// the same findings always give the same bytes, and it prints no timestamps
// beyond what Tool carries. Renderers only print what the report holds;
// findings and diagnostics carry no secret values by construction, and all
// text from the input (object names, messages, paths) is escaped for the
// target format so that a hostile manifest cannot forge output.
package report

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// Format names an output format, as given to -o/--output.
type Format string

// Output formats.
const (
	FormatTable    Format = "table"
	FormatJSON     Format = "json"
	FormatSARIF    Format = "sarif"
	FormatJUnit    Format = "junit"
	FormatMarkdown Format = "markdown"
)

// Formats lists every output format in the order help text shows them.
func Formats() []Format {
	return []Format{FormatTable, FormatJSON, FormatSARIF, FormatJUnit, FormatMarkdown}
}

// ParseFormat reads a format name, case-insensitively; "md" is accepted for
// markdown.
func ParseFormat(s string) (Format, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	if name == "md" {
		return FormatMarkdown, nil
	}
	for _, f := range Formats() {
		if name == string(f) {
			return f, nil
		}
	}
	names := make([]string, 0, len(Formats()))
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return "", fmt.Errorf("unknown output format %q (want one of %s)", s, strings.Join(names, ", "))
}

// Rule is the metadata of one rule that ran, as the renderers need it (SARIF
// reporting descriptors, JUnit suites, markdown headings). The scan fills it
// from the check catalogue.
type Rule struct {
	ID          finding.RuleID
	Category    finding.Category
	Severity    finding.Severity
	Level       finding.Level
	Summary     string // one line
	Doc         string
	Remediation string
	References  []string
	Engine      string // "pss", "cel" or "go"
}

// Tool identifies kharden in machine outputs.
type Tool struct {
	Name           string // default "kharden"
	Version        string
	InformationURI string
}

// Report is everything a renderer prints.
type Report struct {
	Tool   Tool
	Inputs []string // what was scanned (paths, "cluster")
	// Objects is the number of objects scanned.
	Objects int
	// Rules lists every rule that ran. Renderers sort their own copy by id;
	// a rule listed twice renders once.
	Rules []Rule
	// Findings includes suppressed ones (Suppressed != nil): they are always
	// counted, always present in JSON, SARIF and JUnit (marked), and shown by
	// table and markdown only when ShowSuppressed is set.
	Findings    []finding.Finding
	Diagnostics []inventory.Diagnostic
	// ShowSuppressed makes table and markdown list suppressed findings too.
	ShowSuppressed bool
	// Baseline is the baseline file used, if any.
	Baseline string
}

// Options tune the human formats; machine formats ignore them.
type Options struct {
	// Color turns on ANSI colours for severities in the table.
	Color bool
	// Width is the terminal width in columns; 0 means DefaultWidth.
	Width int
}

// DefaultWidth is the table width when the terminal's is unknown.
const DefaultWidth = 100

// minWidth keeps wrapping sane on absurdly narrow terminals.
const minWidth = 40

// Render writes the report in format f.
func Render(w io.Writer, f Format, r *Report, o Options) error {
	if r == nil {
		return errors.New("report: nil report")
	}
	v := prepare(r)
	switch f {
	case FormatTable:
		return renderTable(w, v, o)
	case FormatJSON:
		return renderJSON(w, v)
	case FormatSARIF:
		return renderSARIF(w, v)
	case FormatJUnit:
		return renderJUnit(w, v)
	case FormatMarkdown:
		return renderMarkdown(w, v)
	}
	return fmt.Errorf("report: unknown format %q", f)
}

// view is the normalised copy of a report that renderers read: sorted,
// fingerprints filled in, no nil slices where JSON wants arrays.
type view struct {
	*Report
	rules    []Rule
	ruleIdx  map[finding.RuleID]int
	findings []finding.Finding
	diags    []inventory.Diagnostic
	summary  Summary
}

func prepare(r *Report) *view {
	v := &view{Report: r, ruleIdx: map[finding.RuleID]int{}}
	rules := append([]Rule(nil), r.Rules...)
	sortRules(rules)
	for _, rule := range rules {
		if _, dup := v.ruleIdx[rule.ID]; !dup { // a rule listed twice renders once
			v.ruleIdx[rule.ID] = len(v.rules)
			v.rules = append(v.rules, rule)
		}
	}
	v.findings = make([]finding.Finding, len(r.Findings))
	copy(v.findings, r.Findings)
	for i := range v.findings {
		f := &v.findings[i]
		if f.Fingerprint == "" {
			f.Fingerprint = f.ComputeFingerprint()
		}
		if f.References == nil {
			f.References = []string{}
		}
	}
	SortFindings(v.findings)
	v.diags = append([]inventory.Diagnostic(nil), r.Diagnostics...)
	sortDiagnostics(v.diags)
	v.summary = r.Summary()
	return v
}

// rule returns the metadata of a rule, or a stand-in built from a finding
// when the rule is not in Rules (a finding from a rule the caller forgot to
// list must still render).
func (v *view) rule(f *finding.Finding) Rule {
	if i, ok := v.ruleIdx[f.Rule]; ok {
		return v.rules[i]
	}
	return Rule{ID: f.Rule, Category: f.Category, Severity: f.Severity, Level: f.Level,
		Remediation: f.Remediation, References: f.References}
}

// visible returns the findings the human formats list.
func (v *view) visible() []finding.Finding {
	if v.ShowSuppressed {
		return v.findings
	}
	out := make([]finding.Finding, 0, len(v.findings))
	for _, f := range v.findings {
		if f.Suppressed == nil {
			out = append(out, f)
		}
	}
	return out
}

func (v *view) toolName() string {
	if v.Tool.Name == "" {
		return "kharden"
	}
	return v.Tool.Name
}
