package report

import (
	"regexp"
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/finding"
)

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestTableColorOnlyAddsEscapes: colour changes nothing but the ANSI codes
// around severities.
func TestTableColorOnlyAddsEscapes(t *testing.T) {
	for _, show := range []bool{false, true} {
		r := fullReport()
		r.ShowSuppressed = show
		plain := string(render(t, FormatTable, r, Options{Width: 100}))
		colored := string(render(t, FormatTable, r, Options{Width: 100, Color: true}))
		if strings.Contains(plain, "\x1b") {
			t.Error("colour-off output has escape sequences")
		}
		if !strings.Contains(colored, "\x1b[1;31mCRITICAL\x1b[0m") {
			t.Error("colour-on output does not colour CRITICAL")
		}
		if got := ansi.ReplaceAllString(colored, ""); got != plain {
			t.Errorf("colour-on output minus escapes differs from colour-off output:\n%s", firstDiff(plain, got))
		}
		for _, m := range ansi.FindAllStringIndex(colored, -1) {
			// Every colour code opens right before a severity or level word.
			rest := colored[m[1]:]
			if strings.HasPrefix(colored[m[0]:m[1]], "\x1b[0m") {
				continue
			}
			if !regexp.MustCompile(`^(CRITICAL|HIGH|MEDIUM|LOW|INFO|ERROR|WARNING)\x1b\[0m`).MatchString(rest) {
				t.Errorf("colour code before %q", rest[:min(20, len(rest))])
			}
		}
	}
}

// TestTableWidth: rows and wrapped messages stay within the width; only a
// header, the summary line, or a line holding one unbreakable field path
// (and its container) may run past it.
func TestTableWidth(t *testing.T) {
	r := fullReport()
	r.ShowSuppressed = true
	for _, w := range []int{40, 60, 80, 100, 160} {
		out := string(render(t, FormatTable, r, Options{Width: w}))
		for _, line := range strings.Split(out, "\n") {
			if width(line) <= w || !strings.HasPrefix(line, " ") {
				continue
			}
			fields := strings.Fields(line)
			if len(fields) == 1 || len(fields) == 2 && strings.HasPrefix(fields[1], "[") {
				continue
			}
			t.Errorf("width %d: line of %d columns: %q", w, width(line), line)
		}
	}
}

func TestTableNoFindings(t *testing.T) {
	out := string(render(t, FormatTable, emptyReport(), Options{}))
	if !strings.HasPrefix(out, "No findings.\n") || !strings.Contains(out, "0 findings (critical: 0") {
		t.Errorf("no-findings output:\n%s", out)
	}
	// Only suppressed findings, not shown: still "No findings".
	r := emptyReport()
	r.Findings = []finding.Finding{suppressed(mk(rulePrivileged, objWeb, nil, "spec", "", "m", ""),
		finding.Suppression{Kind: finding.SuppressedByBaseline})}
	out = string(render(t, FormatTable, r, Options{}))
	if !strings.HasPrefix(out, "No findings.\n") || !strings.Contains(out, "1 suppressed") {
		t.Errorf("suppressed-only output:\n%s", out)
	}
}

// TestTableEscapesTerminalControls: a message or name from a hostile
// manifest cannot send escape sequences to the terminal.
func TestTableEscapesTerminalControls(t *testing.T) {
	f := mk(rulePrivileged, finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "ns", Name: "x\x1b]0;title\x07"},
		src("evil\x1b[2J.yaml", 1, 0), "spec", "c\u202e", "clear \x1b[2J\x1b[H screen\r\nfake: line", "")
	r := &Report{Rules: []Rule{rulePrivileged}, Findings: []finding.Finding{f}}
	for _, color := range []bool{false, true} {
		out := string(render(t, FormatTable, r, Options{Color: color}))
		stripped := ansi.ReplaceAllString(out, "")
		if strings.ContainsAny(stripped, "\x1b\x07\r\u202e") {
			t.Errorf("control characters reach the terminal:\n%q", out)
		}
		if !strings.Contains(out, `clear \x1b[2J\x1b[H screen fake: line`) {
			t.Errorf("message not shown escaped:\n%s", out)
		}
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		text string
		n    int
		want []string
	}{
		{"", 10, []string{""}},
		{"one two three", 7, []string{"one two", "three"}},
		{"one two three", 100, []string{"one two three"}},
		{"a verylongunbreakableword b", 5, []string{"a", "verylongunbreakableword", "b"}},
		{"  spaced   out  ", 20, []string{"spaced out"}},
	}
	for _, tc := range tests {
		got := wrap(tc.text, tc.n)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("wrap(%q, %d) = %q, want %q", tc.text, tc.n, got, tc.want)
		}
	}
}

func TestTermSafe(t *testing.T) {
	tests := map[string]string{
		"plain text":     "plain text",
		"tab\tnew\nline": "tab new line",
		"esc\x1b[31m":    `esc\x1b[31m`,
		"bell\x07":       `bell\x07`,
		"del\x7f":        `del\x7f`,
		"c1\u009b":       `c1\u009b`,
		"bidi\u202eevil": `bidi\u202eevil`,
		"bad\xffutf8":    `bad\xffutf8`,
		"ünïcödé ✓":      "ünïcödé ✓",
		"nonchar\ufffe":  `nonchar\ufffe`,
		"isolate\u2066x": `isolate\u2066x`,
	}
	for in, want := range tests {
		if got := termSafe(in); got != want {
			t.Errorf("termSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSummaryLine(t *testing.T) {
	got := summaryLine(fullReport().Summary())
	want := "9 findings (critical: 1, high: 3, medium: 1, low: 4, info: 0), 3 suppressed, 12 objects scanned, 1 input error, 1 warning"
	if got != want {
		t.Errorf("summary line\n got %q\nwant %q", got, want)
	}
	one := Summary{Findings: 1, Objects: 1}
	one.BySeverity.Info = 1
	if got, want := summaryLine(one), "1 finding (critical: 0, high: 0, medium: 0, low: 0, info: 1), 0 suppressed, 1 object scanned"; got != want {
		t.Errorf("singular summary line\n got %q\nwant %q", got, want)
	}
}
