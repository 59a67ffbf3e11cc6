package scan

import (
	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/report"
)

// Report turns a result into what the renderers print.
func Report(res *Result, tool report.Tool, inputs []string, showSuppressed bool) *report.Report {
	return &report.Report{
		Tool:           tool,
		Inputs:         inputs,
		Objects:        len(res.Inventory.Objects),
		Rules:          RuleMetadata(res.Rules),
		Findings:       res.Findings,
		Diagnostics:    res.Diagnostics,
		ShowSuppressed: showSuppressed,
		Baseline:       res.Baseline,
	}
}

// AnalysisReport is the report of an analysis command (kubeconfig audit,
// control-plane check): its inputs, the objects it read, its rules, its
// findings (completed by Finish) and its input problems.
func AnalysisReport(tool report.Tool, inputs []string, objects int, rules []*checks.Check, fs []finding.Finding,
	diags []inventory.Diagnostic, showSuppressed bool) *report.Report {
	return &report.Report{
		Tool:           tool,
		Inputs:         inputs,
		Objects:        objects,
		Rules:          RuleMetadata(rules),
		Findings:       fs,
		Diagnostics:    diags,
		ShowSuppressed: showSuppressed,
	}
}

// RuleMetadata converts catalogue checks to the renderers' rule metadata.
func RuleMetadata(cs []*checks.Check) []report.Rule {
	out := make([]report.Rule, 0, len(cs))
	for _, c := range cs {
		out = append(out, report.Rule{
			ID: c.ID, Category: c.Category, Severity: c.Severity, Level: c.Level,
			Summary: c.Summary, Doc: c.Doc, Remediation: c.Remediation, References: c.References,
			Engine: string(c.Engine),
		})
	}
	return out
}
