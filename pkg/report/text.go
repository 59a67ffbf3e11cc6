package report

import (
	"fmt"
	"html"
	"strings"
	"unicode/utf8"
)

// termSafe makes text from the input safe to print on a terminal: control
// characters (which could move the cursor or change colours), bidirectional
// overrides (which could reorder what the reader sees) and invalid UTF-8
// become visible escapes, as do the noncharacters U+FFFE and U+FFFF (which
// XML cannot hold). Tabs and newlines become spaces: a message is one
// logical line.
func termSafe(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case (r >= 0x80 && r < 0xa0) || isBidiControl(r) || r == 0xfffe || r == 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// isPlain reports whether s is printable ASCII only: the common case, kept
// allocation-free.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// isBidiControl reports the Unicode bidirectional formatting characters
// ("Trojan Source").
func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// width is the number of columns s takes; kharden's own text is ASCII and
// input text is measured per rune, which is right for everything but wide
// East Asian characters (they only make a row a little longer).
func width(s string) int { return utf8.RuneCountInString(s) }

// pad right-pads s with spaces to n columns.
func pad(s string, n int) string {
	if w := width(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

// wrap splits text into lines of at most n columns at spaces. A word longer
// than n (a field path, a URL) is kept whole on its own line rather than cut.
func wrap(text string, n int) []string {
	words := strings.Fields(text)
	if len(words) == 0 {
		return []string{""}
	}
	var lines []string
	cur := words[0]
	for _, w := range words[1:] {
		if width(cur)+1+width(w) > n {
			lines = append(lines, cur)
			cur = w
			continue
		}
		cur += " " + w
	}
	return append(lines, cur)
}

// mdEscape makes input text literal in markdown, including inside a table
// cell or after a list marker: inline markdown punctuation is
// backslash-escaped, a leading block marker (heading, list, quote) is
// neutralised, HTML-significant characters become entities, and line
// breaks become spaces.
func mdEscape(s string) string {
	s = termSafe(s)
	var b strings.Builder
	lead := true    // still at the start of the text (block markers matter)
	digits := false // the text so far is only digits ("1." starts a list)
	for _, r := range s {
		switch {
		case strings.ContainsRune("\\`*_[]|~", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '<':
			b.WriteString("&lt;")
		case r == '&':
			b.WriteString("&amp;")
		case lead && strings.ContainsRune("#-+>=", r), digits && (r == '.' || r == ')'):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
		digits = (lead || digits) && r >= '0' && r <= '9'
		lead = lead && r == ' '
	}
	return b.String()
}

// mdCode renders input text as an inline code span fit for a table cell.
// Text holding a backtick cannot be a simple code span, so it falls back to
// escaped text. Inside a GFM table a pipe must be escaped even in code.
func mdCode(s string) string {
	s = termSafe(s)
	if s == "" {
		return ""
	}
	if strings.ContainsRune(s, '`') {
		return mdEscape(s)
	}
	return "`" + strings.ReplaceAll(s, "|", `\|`) + "`"
}

// htmlText escapes input text for an HTML element of a markdown document
// (<summary>), where markdown is not interpreted.
func htmlText(s string) string { return html.EscapeString(termSafe(s)) }

// termSafeBlock is termSafe for multi-line text (remediations with example
// YAML): each line is made safe and the line breaks are kept.
func termSafeBlock(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(termSafe(l), " ")
	}
	return strings.Join(lines, "\n")
}

// mdBlock renders catalogue prose (docs, remediations) as markdown blocks.
// The catalogue's convention is plain paragraphs separated by blank lines,
// with examples indented by four spaces: paragraphs are escaped, examples
// become fenced code blocks (fenced rather than indented so that they also
// work inside <details>).
func mdBlock(s string) string {
	var blocks []string
	var para, code []string
	flushPara := func() {
		if len(para) > 0 {
			blocks = append(blocks, mdEscape(strings.Join(para, " ")))
			para = nil
		}
	}
	flushCode := func() {
		for len(code) > 0 && code[len(code)-1] == "" {
			code = code[:len(code)-1]
		}
		if len(code) > 0 {
			body := strings.Join(code, "\n")
			fence := "```"
			for strings.Contains(body, fence) {
				fence += "`"
			}
			blocks = append(blocks, fence+"\n"+body+"\n"+fence)
			code = nil
		}
	}
	for _, l := range strings.Split(s, "\n") {
		switch {
		case strings.HasPrefix(l, "    ") || strings.HasPrefix(l, "\t"):
			flushPara()
			if strings.HasPrefix(l, "\t") {
				l = l[1:]
			} else {
				l = l[4:]
			}
			code = append(code, strings.TrimRight(termSafe(l), " "))
		case strings.TrimSpace(l) == "":
			flushPara()
			if len(code) > 0 {
				code = append(code, "")
			}
		default:
			flushCode()
			para = append(para, strings.TrimSpace(l))
		}
	}
	flushPara()
	flushCode()
	return strings.Join(blocks, "\n\n")
}
