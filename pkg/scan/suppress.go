package scan

import (
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// suppression decides whether an exception silences a finding: first the
// object's own kharden.dev/ignore annotations (e, nil when it has none), then
// .kharden.yaml exceptions. Findings about exceptions themselves are never
// silenced.
func suppression(f finding.Finding, e *checks.AnnotationException, cfg *config.Config, now time.Time) *finding.Suppression {
	if f.Rule == "exception-expired" || f.Rule == "exception-incomplete" {
		return nil
	}
	if e != nil && e.Problem == "" && e.Covers(f.Rule) {
		return &finding.Suppression{Kind: finding.SuppressedByAnnotation, Reason: e.Reason, Owner: e.Owner, Expires: e.Until}
	}
	for _, x := range cfg.Exceptions {
		if !coversRule(x, f.Rule) || !inScope(x.Scope, f) {
			continue
		}
		if x.ExpiredAt(now) {
			continue
		}
		return &finding.Suppression{Kind: finding.SuppressedByConfig, Reason: x.Reason, Owner: x.Owner, Expires: x.Expires}
	}
	return nil
}

func coversRule(e config.Exception, id finding.RuleID) bool {
	for _, r := range e.Rules {
		if r == id || r == "*" {
			return true
		}
	}
	return false
}

func inScope(s config.Scope, f finding.Finding) bool {
	file := ""
	if f.Source != nil {
		file = filepath.ToSlash(f.Source.File)
	}
	return matchAny(s.Namespaces, f.Object.Namespace) && matchAny(s.Kinds, f.Object.Kind) &&
		matchAny(s.Names, f.Object.Name) && matchFile(s.Files, file)
}

func matchAny(patterns []string, v string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if ok, _ := path.Match(p, v); ok {
			return true
		}
	}
	return false
}

// matchFile matches a pattern against the whole path, or a directory
// pattern ("deploy/legacy/") against everything under it.
func matchFile(patterns []string, file string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		p = filepath.ToSlash(p)
		if strings.HasSuffix(p, "/") && strings.HasPrefix(file, p) {
			return true
		}
		if ok, _ := path.Match(p, file); ok {
			return true
		}
		if ok, _ := path.Match(p, path.Base(file)); ok && !strings.Contains(p, "/") {
			return true
		}
	}
	return false
}

// expiredConfigExceptions reports .kharden.yaml exceptions past their date,
// on the configuration file itself.
func expiredConfigExceptions(cfg *config.Config, cat []*checks.Check, now time.Time) []finding.Finding {
	c, ok := checks.Lookup(cat, "exception-expired")
	if !ok || !cfg.RuleEnabled(c.ID, !c.Disabled) {
		return nil
	}
	var out []finding.Finding
	for i, e := range cfg.Exceptions {
		if e.Permanent || !e.ExpiredAt(now) {
			continue
		}
		ids := make([]string, len(e.Rules))
		for j, r := range e.Rules {
			ids[j] = string(r)
		}
		f := finding.Finding{
			Rule: c.ID, Category: c.Category, Severity: cfg.SeverityFor(c.ID, c.Severity),
			Object:      finding.ObjectRef{APIVersion: "kharden.dev/v1", Kind: "Config", Name: filepath.Base(cfg.Path)},
			Path:        inventory.Join("exceptions", i, "expires"),
			Message:     "exception for " + strings.Join(ids, ",") + " (owner " + e.Owner + ") expired on " + e.Expires,
			Remediation: c.Remediation, References: c.References,
		}
		if cfg.Path != "" {
			f.Source = &finding.Source{File: cfg.Path}
		}
		f.Fingerprint = f.ComputeFingerprint()
		out = append(out, f)
	}
	return out
}
