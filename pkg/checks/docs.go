package checks

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/kharden/kharden/pkg/finding"
)

// Explain renders one rule as plain text, for `kharden explain`.
func Explain(c *Check) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n\n", c.ID, strings.Repeat("=", len(c.ID)))
	fmt.Fprintf(&b, "%s\n\n", c.Summary)
	fmt.Fprintf(&b, "Category:    %s\nSeverity:    %s\n", c.Category, c.Severity)
	if c.Level != finding.LevelNone {
		fmt.Fprintf(&b, "PSS level:   %s\n", c.Level)
	}
	fmt.Fprintf(&b, "Engine:      %s\n", engineDescription(c))
	fmt.Fprintf(&b, "Applies to:  %s\n", appliesTo(c))
	if c.Disabled {
		b.WriteString("Default:     off (enable it in .kharden.yaml)\n")
	}
	fmt.Fprintf(&b, "\n%s\n\nRemediation:\n  %s\n\nReferences:\n", c.Doc, c.Remediation)
	for _, r := range c.References {
		fmt.Fprintf(&b, "  - %s\n", r)
	}
	return b.String()
}

func engineDescription(c *Check) string {
	switch c.Engine {
	case EnginePSS:
		ids := make([]string, len(c.PSS.Checks))
		for i, id := range c.PSS.Checks {
			ids[i] = string(id)
		}
		return "Pod Security Standards via k8s.io/pod-security-admission (checks: " + strings.Join(ids, ", ") + ")"
	case EngineCEL:
		return "CEL guardrail (exportable as a ValidatingAdmissionPolicy)"
	case EngineAnalysis:
		return "analysis command (" + c.Command + ")"
	default:
		return "Go analysis (offline and in-cluster scans only)"
	}
}

func appliesTo(c *Check) string {
	switch {
	case c.AnyKind:
		return "every object"
	case c.Kinds == nil:
		return "workloads (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate)"
	}
	names := make([]string, len(c.Kinds))
	for i, k := range c.Kinds {
		names[i] = k.Kind
	}
	return strings.Join(dedupeStrings(names), ", ")
}

func dedupeStrings(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// MarkdownDoc renders the whole catalogue as docs/rules.md.
func MarkdownDoc(cat []*Check) []byte {
	var b bytes.Buffer
	b.WriteString("# kharden rules\n\n<!-- Generated from the rule catalogue by `make docs`; do not edit. -->\n\n")
	fmt.Fprintf(&b, "%d rules. Severity and on/off can be changed per rule in `.kharden.yaml`.\n\n", len(cat))
	b.WriteString("| Rule | Category | Severity | PSS level | Engine | Summary |\n|---|---|---|---|---|---|\n")
	for _, c := range cat {
		level := string(c.Level)
		if level == "" {
			level = "-"
		}
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s | %s | %s |\n", c.ID, c.ID, c.Category, c.Severity, level, c.Engine, mdEscape(c.Summary))
	}
	for _, c := range cat {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n\n", c.ID, mdEscape(c.Summary))
		fmt.Fprintf(&b, "- Category: %s\n- Severity: %s\n", c.Category, c.Severity)
		if c.Level != finding.LevelNone {
			fmt.Fprintf(&b, "- PSS level: %s\n", c.Level)
		}
		fmt.Fprintf(&b, "- Engine: %s\n- Applies to: %s\n", engineDescription(c), appliesTo(c))
		if c.Disabled {
			b.WriteString("- Default: off\n")
		}
		fmt.Fprintf(&b, "\n%s\n\n**Remediation:** %s\n\n**References:**\n\n", c.Doc, c.Remediation)
		for _, r := range c.References {
			fmt.Fprintf(&b, "- %s\n", r)
		}
	}
	return b.Bytes()
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
