package report

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

func parseJUnit(t *testing.T, b []byte) junitSuites {
	t.Helper()
	var s junitSuites
	if err := xml.Unmarshal(b, &s); err != nil {
		t.Fatalf("JUnit output is not well-formed XML: %v", err)
	}
	return s
}

func TestJUnitCounts(t *testing.T) {
	r := fullReport()
	got := parseJUnit(t, render(t, FormatJUnit, r, Options{}))
	sum := r.Summary()

	// One suite per rule plus the input-error suite.
	if len(got.Suites) != len(r.Rules)+1 {
		t.Fatalf("%d suites, want %d", len(got.Suites), len(r.Rules)+1)
	}
	var tests, failures, errors, skipped int
	for _, s := range got.Suites {
		var f, e, sk int
		for _, c := range s.Cases {
			switch {
			case c.Failure != nil:
				f++
			case c.Error != nil:
				e++
			case c.Skipped != nil:
				sk++
			}
			if s.Name != inputSuite && c.Classname != s.Name {
				t.Errorf("suite %s: case classname %q", s.Name, c.Classname)
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Errors != e || s.Skipped != sk {
			t.Errorf("suite %s counts tests=%d failures=%d errors=%d skipped=%d; cases say %d %d %d %d",
				s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), f, e, sk)
		}
		if len(s.Cases) == 0 {
			t.Errorf("suite %s has no test case: a passing rule needs one", s.Name)
		}
		tests += s.Tests
		failures += s.Failures
		errors += s.Errors
		skipped += s.Skipped
	}
	if got.Tests != tests || got.Failures != failures || got.Errors != errors || got.Skipped != skipped {
		t.Errorf("totals %d/%d/%d/%d, suites add up to %d/%d/%d/%d",
			got.Tests, got.Failures, got.Errors, got.Skipped, tests, failures, errors, skipped)
	}
	if failures != sum.Findings || skipped != sum.Suppressed || errors != sum.Errors {
		t.Errorf("failures %d skipped %d errors %d; want %d findings, %d suppressed, %d input errors",
			failures, skipped, errors, sum.Findings, sum.Suppressed, sum.Errors)
	}
}

func TestJUnitFailureContent(t *testing.T) {
	got := parseJUnit(t, render(t, FormatJUnit, fullReport(), Options{}))
	var priv *junitCase
	for _, s := range got.Suites {
		if s.Name == "privileged-container" {
			priv = &s.Cases[0]
		}
		if s.Name == "host-path-volume" && (len(s.Cases) != 1 || s.Cases[0].Failure != nil) {
			t.Errorf("rule without findings: want one passing case, got %+v", s.Cases)
		}
	}
	if priv == nil || priv.Failure == nil {
		t.Fatal("privileged-container has no failing case")
	}
	if priv.Failure.Type != "critical" || priv.File != "deploy/web.yaml" || priv.Line != 31 {
		t.Errorf("failure type %q file %q line %d", priv.Failure.Type, priv.File, priv.Line)
	}
	for _, want := range []string{"deploy/web.yaml:31", "Remediation: ", "CIS 5.2.2"} {
		if !strings.Contains(priv.Failure.Body, want) {
			t.Errorf("failure body lacks %q:\n%s", want, priv.Failure.Body)
		}
	}
	if !strings.Contains(priv.Name, "Deployment/shop/web") || !strings.Contains(priv.Name, "securityContext.privileged") {
		t.Errorf("case name %q should name the object and the path", priv.Name)
	}
}

// TestJUnitHostileText: control characters and CDATA terminators in input
// text must not break the XML.
func TestJUnitHostileText(t *testing.T) {
	f := mk(rulePrivileged, objWeb, src("deploy/x.yaml", 3, 0), "spec", "c",
		"bad ]]> <x/> & \x00\x1b[31m \ufffe end", "")
	f.Remediation = "]]><!-- -->"
	r := &Report{Rules: []Rule{rulePrivileged}, Findings: []finding.Finding{f},
		Diagnostics: []inventory.Diagnostic{{File: "a\x07.yaml", Message: "]]>\x01"}}}
	out := render(t, FormatJUnit, r, Options{})
	got := parseJUnit(t, out)
	body := got.Suites[0].Cases[0].Failure.Body
	if !strings.Contains(body, "]]>") || !strings.Contains(body, `\x1b[31m`) {
		t.Errorf("body does not round-trip the escaped text:\n%s", body)
	}
	if strings.ContainsRune(string(out), 0x1b) || strings.ContainsRune(string(out), 0) {
		t.Error("raw control characters in the XML")
	}
}
