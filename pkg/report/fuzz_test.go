package report

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kharden/kharden/pkg/finding"
)

// FuzzRenderText feeds arbitrary input text (a message, a container name,
// a field path, a file name — all of which come from manifests) through
// every renderer and checks that no output format can be broken by it:
// JSON stays valid and keeps the text, JUnit stays well-formed XML, the
// terminal sees no control characters, and markdown tables keep their
// columns. Seeds: testdata/fuzz/FuzzRenderText.
func FuzzRenderText(f *testing.F) {
	f.Add("plain message", "app", "spec.containers[0].image", "deploy/web.yaml")
	f.Fuzz(func(t *testing.T, msg, container, path, file string) {
		fnd := finding.Finding{
			Rule: rulePrivileged.ID, Category: rulePrivileged.Category, Severity: rulePrivileged.Severity,
			Object:  finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "ns", Name: container},
			Message: msg, Container: container, Path: path, References: []string{msg},
		}
		if file != "" {
			fnd.Source = &finding.Source{File: file, Line: 3}
		}
		r := &Report{Rules: []Rule{rulePrivileged}, Findings: []finding.Finding{fnd}, ShowSuppressed: true}

		out := render(t, FormatJSON, r, Options{})
		var doc struct {
			Findings []finding.Finding `json:"findings"`
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("JSON invalid: %v", err)
		}
		if utf8.ValidString(msg) && doc.Findings[0].Message != msg {
			t.Fatalf("JSON message %q, want %q", doc.Findings[0].Message, msg)
		}

		if err := xml.Unmarshal(render(t, FormatJUnit, r, Options{}), new(junitSuites)); err != nil {
			t.Fatalf("JUnit not well-formed: %v", err)
		}

		if _, err := json.Marshal(json.RawMessage(render(t, FormatSARIF, r, Options{}))); err != nil {
			t.Fatalf("SARIF invalid JSON: %v", err)
		}

		for _, l := range strings.Split(string(render(t, FormatTable, r, Options{})), "\n") {
			for _, c := range l {
				if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || isBidiControl(c) {
					t.Fatalf("control character %U reaches the terminal in %q", c, l)
				}
			}
		}

		cols := 0
		for _, l := range strings.Split(string(render(t, FormatMarkdown, r, Options{})), "\n") {
			if !strings.HasPrefix(l, "|") {
				cols = 0
				continue
			}
			n := len(unescapedPipe.FindAllString(l, -1))
			if cols == 0 {
				cols = n
			} else if n != cols {
				t.Fatalf("markdown row with %d boundaries, header %d: %q", n, cols, l)
			}
		}
	})
}
