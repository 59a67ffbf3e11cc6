package report

import (
	"regexp"
	"strings"
	"testing"
)

// unescapedPipe finds a | not preceded by a backslash: a cell boundary.
var unescapedPipe = regexp.MustCompile(`(^|[^\\])\|`)

// TestMarkdownTablesKeepTheirColumns: whatever the messages hold, every
// row of a table has as many cells as its header.
func TestMarkdownTablesKeepTheirColumns(t *testing.T) {
	r := fullReport()
	r.ShowSuppressed = true
	hostile := mk(ruleSecretEnv, objWeb, src("deploy/x|y.yaml", 3, 0), "data['a|b']", "c`|d",
		"a | b \\| c ` d <script>alert(1)</script> [link](http://x) **bold** \n| new row |", "")
	r.Findings = append(r.Findings, hostile)
	out := string(render(t, FormatMarkdown, r, Options{}))
	cols := 0
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "|") {
			cols = 0
			continue
		}
		n := len(unescapedPipe.FindAllString(line, -1))
		if cols == 0 {
			cols = n // header row
			continue
		}
		if n != cols {
			t.Errorf("row has %d cell boundaries, header %d: %s", n, cols, line)
		}
	}
	for _, bad := range []string{"<script>", "[link](", "**bold**"} {
		if strings.Contains(out, bad) {
			t.Errorf("markdown output contains unescaped %q", bad)
		}
	}
}

func TestMdEscape(t *testing.T) {
	tests := map[string]string{
		"plain words":       "plain words",
		"a|b":               `a\|b`,
		"*x* _y_ `z`":       "\\*x\\* \\_y\\_ \\`z\\`",
		"<b>&amp;</b>":      "&lt;b>&amp;amp;&lt;/b>",
		"[a](b)":            `\[a\](b)`,
		"# heading":         `\# heading`,
		"- item":            `\- item`,
		"  > quote":         `  \> quote`,
		"12. item":          `12\. item`,
		"v1.2.3 - ok":       "v1.2.3 - ok",
		"line\nbreak":       "line break",
		"back\\slash":       `back\\slash`,
		"~strike~":          `\~strike\~`,
		"esc\x1b":           `esc\\x1b`,
		"image-latest-tag":  "image-latest-tag",
		"1) not a list too": `1\) not a list too`,
	}
	for in, want := range tests {
		if got := mdEscape(in); got != want {
			t.Errorf("mdEscape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMdCode(t *testing.T) {
	tests := map[string]string{
		"":                            "",
		"spec.containers[0].image":    "`spec.containers[0].image`",
		"metadata.annotations['a|b']": "`metadata.annotations['a\\|b']`",
		"has`tick":                    "has\\`tick",
	}
	for in, want := range tests {
		if got := mdCode(in); got != want {
			t.Errorf("mdCode(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMarkdownGroupsByFileThenRule: worst rules first inside a file, the
// no-file group last, suppressed findings only when asked.
func TestMarkdownGroupsByFileThenRule(t *testing.T) {
	out := string(render(t, FormatMarkdown, fullReport(), Options{}))
	order := []string{
		"### charts/web/templates/deployment.yaml",
		"### deploy/jobs/cleanup.yaml",
		"### deploy/web.yaml",
		"<b>CRITICAL</b> privileged-container",
		"<b>HIGH</b> hardcoded-credential",
		"<b>LOW</b> image-not-pinned",
		"### " + noFileHeading,
		"### Input problems",
	}
	at := 0
	for _, want := range order {
		i := strings.Index(out[at:], want)
		if i < 0 {
			t.Fatalf("%q missing or out of order", want)
		}
		at += i
	}
	if strings.Contains(out, "suppressed finding") || strings.Contains(out, "default-service-account") {
		t.Error("suppressed findings listed without ShowSuppressed")
	}
	r := fullReport()
	r.ShowSuppressed = true
	out = string(render(t, FormatMarkdown, r, Options{}))
	if !strings.Contains(out, "<summary>3 suppressed findings</summary>") {
		t.Error("suppressed findings not listed with ShowSuppressed")
	}
	if strings.Count(out, "<details>") != strings.Count(out, "</details>") {
		t.Error("unbalanced <details>")
	}
}

func TestMarkdownNoFindings(t *testing.T) {
	out := string(render(t, FormatMarkdown, emptyReport(), Options{}))
	if !strings.HasPrefix(out, "## kharden: no findings\n") || strings.Contains(out, "<details>") {
		t.Errorf("no-findings markdown:\n%s", out)
	}
}

func TestMdBlock(t *testing.T) {
	tests := []struct{ in, want string }{
		{"One line.", "One line."},
		{"Wrapped\nparagraph *here*.", `Wrapped paragraph \*here\*.`},
		{"Do this:\n\n    a: 1\n    b:\n      - c\n\nThen that.\n",
			"Do this:\n\n```\na: 1\nb:\n  - c\n```\n\nThen that."},
		{"Code with a blank line:\n\n    a: 1\n\n    b: 2\n", "Code with a blank line:\n\n```\na: 1\n\nb: 2\n```"},
		{"Fence inside:\n\n    ```\n    x\n", "Fence inside:\n\n````\n```\nx\n````"},
		{"Tabbed:\n\n\tkey: v", "Tabbed:\n\n```\nkey: v\n```"},
	}
	for _, tc := range tests {
		if got := mdBlock(tc.in); got != tc.want {
			t.Errorf("mdBlock(%q) =\n%s\nwant\n%s", tc.in, got, tc.want)
		}
	}
}
