package access

import (
	"errors"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/report"
	"github.com/kharden/kharden/pkg/scan"
)

// KubeconfigReview is the outcome of `kharden access kubeconfig`: the
// findings of every file, completed like a scan's, and the files that could
// not be audited.
type KubeconfigReview struct {
	Files []string
	// Rules are the enabled kubeconfig rules, with configured severities.
	Rules []*checks.Check
	// Findings carry configured severities, fingerprints and .kharden.yaml
	// exceptions; suppressed ones are included, marked.
	Findings []finding.Finding
	// Entries is the number of users[] and clusters[] entries audited.
	Entries int
	// Errors are the files, or entries, that could not be audited.
	Errors []error
}

// ReviewKubeconfigs audits kubeconfig files under a configuration: rules it
// turns off are dropped, severities and exceptions applied (cfg nil means
// the defaults).
func ReviewKubeconfigs(paths []string, cfg *config.Config, now time.Time) *KubeconfigReview {
	if cfg == nil {
		cfg = config.Default()
	}
	r := &KubeconfigReview{Files: paths}
	rules, err := KubeconfigRules()
	if err != nil {
		r.Errors = []error{err}
		return r
	}
	enabled := map[finding.RuleID]bool{}
	for _, c := range rules {
		if cfg.RuleEnabled(c.ID, !c.Disabled) {
			enabled[c.ID] = true
			cc := *c
			cc.Severity = cfg.SeverityFor(c.ID, c.Severity)
			r.Rules = append(r.Rules, &cc)
		}
	}
	fs, entries, errs := auditKubeconfigFiles(paths, now)
	for _, f := range fs {
		if enabled[f.Rule] {
			r.Findings = append(r.Findings, f)
		}
	}
	scan.Finish(r.Findings, cfg, now)
	r.Entries, r.Errors = entries, errs
	return r
}

// Exceeds reports whether an unsuppressed finding is at or above sev.
func (r *KubeconfigReview) Exceeds(sev finding.Severity) bool {
	return finding.Exceeds(r.Findings, sev)
}

// Report turns the review into what the renderers print; the errors become
// diagnostics with file and line.
func (r *KubeconfigReview) Report(tool report.Tool, showSuppressed bool) *report.Report {
	var diags []inventory.Diagnostic
	for _, err := range r.Errors {
		diags = append(diags, kcDiagnostic(err))
	}
	return scan.AnalysisReport(tool, r.Files, r.Entries, r.Rules, r.Findings, diags, showSuppressed)
}

// kcDiagnostic turns an audit error into a report diagnostic.
func kcDiagnostic(err error) inventory.Diagnostic {
	var ke *KubeconfigError
	if errors.As(err, &ke) {
		return inventory.Diagnostic{File: ke.File, Line: ke.Line, Message: ke.Msg}
	}
	return inventory.Diagnostic{Message: err.Error()}
}
