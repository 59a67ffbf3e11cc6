package report

import (
	"cmp"
	"slices"
	"strings"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// SortFindings puts findings in the canonical order every renderer uses:
// by file (findings without a file last), line, column, object, rule, field
// path, container and message; suppressed after unsuppressed on a tie. The
// scan may call it too so that its own lists match the outputs.
func SortFindings(fs []finding.Finding) {
	slices.SortStableFunc(fs, compareFindings)
}

func compareFindings(a, b finding.Finding) int {
	fa, la, ca := sourceOf(&a)
	fb, lb, cb := sourceOf(&b)
	if c := compareFile(fa, fb); c != 0 {
		return c
	}
	if c := cmp.Compare(la, lb); c != 0 {
		return c
	}
	if c := cmp.Compare(ca, cb); c != 0 {
		return c
	}
	if c := compareObjects(a.Object, b.Object); c != 0 {
		return c
	}
	if c := strings.Compare(string(a.Rule), string(b.Rule)); c != 0 {
		return c
	}
	if c := strings.Compare(a.Path, b.Path); c != 0 {
		return c
	}
	if c := strings.Compare(a.Container, b.Container); c != 0 {
		return c
	}
	if c := strings.Compare(a.Message, b.Message); c != 0 {
		return c
	}
	if c := compareBool(a.Suppressed != nil, b.Suppressed != nil); c != 0 {
		return c
	}
	return strings.Compare(a.Fingerprint, b.Fingerprint)
}

// compareFile orders file names, with "" (no file: cluster objects) last.
func compareFile(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	}
	return strings.Compare(a, b)
}

func compareObjects(a, b finding.ObjectRef) int {
	return cmp.Or(
		strings.Compare(a.Namespace, b.Namespace),
		strings.Compare(a.Kind, b.Kind),
		strings.Compare(a.Name, b.Name),
		strings.Compare(a.APIVersion, b.APIVersion),
	)
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func sourceOf(f *finding.Finding) (file string, line, column int) {
	if f.Source == nil {
		return "", 0, 0
	}
	return f.Source.File, f.Source.Line, f.Source.Column
}

func sortRules(rs []Rule) {
	slices.SortStableFunc(rs, func(a, b Rule) int { return strings.Compare(string(a.ID), string(b.ID)) })
}

// sortDiagnostics orders diagnostics by file and line, errors first on a tie.
func sortDiagnostics(ds []inventory.Diagnostic) {
	slices.SortStableFunc(ds, func(a, b inventory.Diagnostic) int {
		return cmp.Or(
			compareFile(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			compareBool(a.Warning, b.Warning),
			strings.Compare(a.Message, b.Message),
		)
	})
}

// severityDesc orders severities worst first.
func severityDesc(a, b finding.Severity) int { return cmp.Compare(b, a) }
