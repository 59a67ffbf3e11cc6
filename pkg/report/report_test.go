package report

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/finding"
)

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in      string
		want    Format
		wantErr bool
	}{
		{"table", FormatTable, false},
		{"JSON", FormatJSON, false},
		{" sarif ", FormatSARIF, false},
		{"junit", FormatJUnit, false},
		{"markdown", FormatMarkdown, false},
		{"md", FormatMarkdown, false},
		{"yaml", "", true},
		{"", "", true},
	}
	for _, tc := range tests {
		got, err := ParseFormat(tc.in)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("ParseFormat(%q) = %q, %v", tc.in, got, err)
		}
	}
	if _, err := ParseFormat("yaml"); err == nil || !strings.Contains(err.Error(), "table, json, sarif, junit, markdown") {
		t.Errorf("error should list the formats: %v", err)
	}
	for _, f := range Formats() {
		if got, err := ParseFormat(string(f)); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, got, err)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, FormatJSON, nil, Options{}); err == nil {
		t.Error("nil report: want an error")
	}
	if err := Render(&buf, Format("yaml"), emptyReport(), Options{}); err == nil {
		t.Error("unknown format: want an error")
	}
}

func TestSummary(t *testing.T) {
	s := fullReport().Summary()
	want := Summary{
		Objects: 12, Rules: 10, Findings: 9,
		BySeverity: SeverityCounts{Critical: 1, High: 3, Medium: 1, Low: 4},
		ByCategory: map[finding.Category]int{
			finding.CategoryWorkload: 2, finding.CategoryImage: 3, finding.CategorySecrets: 2, finding.CategoryGovernance: 2,
		},
		Suppressed: 3,
		SuppressedByKind: map[finding.SuppressionKind]int{
			finding.SuppressedByAnnotation: 1, finding.SuppressedByConfig: 1, finding.SuppressedByBaseline: 1,
		},
		Errors: 1, Warnings: 1,
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("Summary() = %+v\nwant %+v", s, want)
	}
	if got := s.AtOrAbove(finding.SeverityHigh); got != 4 {
		t.Errorf("AtOrAbove(high) = %d, want 4", got)
	}
	if got := s.AtOrAbove(finding.SeverityInfo); got != 9 {
		t.Errorf("AtOrAbove(info) = %d, want 9", got)
	}
	if worst, ok := s.Worst(); !ok || worst != finding.SeverityCritical {
		t.Errorf("Worst() = %v, %v", worst, ok)
	}
	empty := emptyReport().Summary()
	if _, ok := empty.Worst(); ok || empty.AtOrAbove(finding.SeverityInfo) != 0 || empty.Rules != 2 {
		t.Errorf("empty summary %+v", empty)
	}
}

// TestDeterministic: the order in which the scan hands over findings,
// rules and diagnostics does not change a byte of any output, and
// rendering does not modify the report.
func TestDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, f := range Formats() {
		for _, show := range []bool{false, true} {
			base := fullReport()
			base.ShowSuppressed = show
			want := render(t, f, base, Options{Color: true})
			for range 5 {
				r := fullReport()
				r.ShowSuppressed = show
				rng.Shuffle(len(r.Findings), func(i, j int) { r.Findings[i], r.Findings[j] = r.Findings[j], r.Findings[i] })
				rng.Shuffle(len(r.Rules), func(i, j int) { r.Rules[i], r.Rules[j] = r.Rules[j], r.Rules[i] })
				rng.Shuffle(len(r.Diagnostics), func(i, j int) {
					r.Diagnostics[i], r.Diagnostics[j] = r.Diagnostics[j], r.Diagnostics[i]
				})
				first := r.Findings[0]
				if got := render(t, f, r, Options{Color: true}); !bytes.Equal(got, want) {
					t.Fatalf("%s (show suppressed %v): output depends on input order:\n%s", f, show, firstDiff(string(want), string(got)))
				}
				if r.Findings[0].Fingerprint != first.Fingerprint || r.Findings[0].Message != first.Message {
					t.Fatalf("%s: Render reordered or modified the caller's findings", f)
				}
			}
		}
	}
}

// TestMissingFingerprintIsComputed: a finding without a fingerprint gets
// the one finding.ComputeFingerprint gives, in every machine format.
func TestMissingFingerprintIsComputed(t *testing.T) {
	f := mk(rulePrivileged, objWeb, src("deploy/web.yaml", 3, 0), "spec.containers[0].securityContext.privileged", "app", "m", "")
	want := f.Fingerprint
	f.Fingerprint = ""
	r := emptyReport()
	r.Findings = []finding.Finding{f}
	for _, format := range []Format{FormatJSON, FormatSARIF} {
		if out := render(t, format, r, Options{}); !bytes.Contains(out, []byte(want)) {
			t.Errorf("%s: computed fingerprint %s missing", format, want)
		}
	}
	if r.Findings[0].Fingerprint != "" {
		t.Error("Render modified the caller's finding")
	}
}

// TestFindingsWithoutRuleMetadata: a finding whose rule is not in Rules
// still renders everywhere.
func TestFindingsWithoutRuleMetadata(t *testing.T) {
	r := &Report{Findings: []finding.Finding{mk(ruleHostPath, objWeb, nil, "spec.volumes[0].hostPath", "", "hostPath volume", "")}}
	for _, f := range Formats() {
		out := render(t, f, r, Options{})
		if !bytes.Contains(out, []byte("host-path-volume")) {
			t.Errorf("%s: finding of an unlisted rule missing:\n%s", f, out)
		}
	}
}

func TestSortFindings(t *testing.T) {
	a := mk(ruleLatest, objWeb, src("a.yaml", 5, 0), "p", "", "m", "")
	b := mk(ruleLatest, objWeb, src("a.yaml", 10, 0), "p", "", "m", "")
	c := mk(ruleLatest, objWeb, src("b.yaml", 1, 0), "p", "", "m", "")
	d := mk(ruleLatest, objWeb, nil, "p", "", "m", "")
	e := mk(ruleNotPinned, objWeb, nil, "p", "", "m", "")
	fs := []finding.Finding{e, d, c, b, a}
	SortFindings(fs)
	var got []string
	for _, f := range fs {
		file, line, _ := sourceOf(&f)
		got = append(got, file+":"+strconv.Itoa(line)+":"+string(f.Rule))
	}
	want := []string{"a.yaml:5:image-latest-tag", "a.yaml:10:image-latest-tag", "b.yaml:1:image-latest-tag",
		":0:image-latest-tag", ":0:image-not-pinned"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("order %v, want %v", got, want)
	}
}

func TestDuplicateRulesRenderOnce(t *testing.T) {
	r := emptyReport()
	r.Rules = append(r.Rules, rulePrivileged)
	if got := r.Summary().Rules; got != 2 {
		t.Errorf("Summary().Rules = %d, want 2", got)
	}
	for f, marker := range map[Format]string{
		FormatSARIF: `"id": "privileged-container"`,
		FormatJSON:  `"id": "privileged-container"`,
		FormatJUnit: `<testsuite name="privileged-container"`,
	} {
		if n := strings.Count(string(render(t, f, r, Options{})), marker); n != 1 {
			t.Errorf("%s: %s appears %d times", f, marker, n)
		}
	}
}
