package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files (and docs/schema/findings.v1.json)")

// goldenCases renders every format of the fixtures; each output has a
// golden file under testdata/golden.
var goldenCases = []struct {
	name   string
	report func() *Report
	format Format
	opts   Options
	show   bool
}{
	{"full.table.txt", fullReport, FormatTable, Options{Width: 100}, false},
	{"full-color.table.txt", fullReport, FormatTable, Options{Width: 100, Color: true}, false},
	{"full-narrow.table.txt", fullReport, FormatTable, Options{Width: 60}, false},
	{"full-suppressed.table.txt", fullReport, FormatTable, Options{Width: 100}, true},
	{"full.json", fullReport, FormatJSON, Options{}, false},
	{"full.sarif", fullReport, FormatSARIF, Options{}, false},
	{"full.junit.xml", fullReport, FormatJUnit, Options{}, false},
	{"full.md", fullReport, FormatMarkdown, Options{}, false},
	{"full-suppressed.md", fullReport, FormatMarkdown, Options{}, true},
	{"empty.table.txt", emptyReport, FormatTable, Options{}, false},
	{"empty-color.table.txt", emptyReport, FormatTable, Options{Color: true}, false},
	{"empty.json", emptyReport, FormatJSON, Options{}, false},
	{"empty.sarif", emptyReport, FormatSARIF, Options{}, false},
	{"empty.junit.xml", emptyReport, FormatJUnit, Options{}, false},
	{"empty.md", emptyReport, FormatMarkdown, Options{}, false},
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.report()
			r.ShowSuppressed = tc.show
			got := render(t, tc.format, r, tc.opts)
			checkGolden(t, filepath.Join("testdata", "golden", tc.name), got)
		})
	}
}

func render(t *testing.T, f Format, r *Report, o Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, f, r, o); err != nil {
		t.Fatalf("Render(%s): %v", f, err)
	}
	return buf.Bytes()
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./pkg/report -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run go test ./pkg/report -update and review the diff):\n%s",
			path, firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the first differing line, enough to see what moved.
func firstDiff(want, got string) string {
	wl, gl := bytes.Split([]byte(want), []byte("\n")), bytes.Split([]byte(got), []byte("\n"))
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g []byte
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if !bytes.Equal(w, g) {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + string(w) + "\n  got:  " + string(g)
		}
	}
	return "(no line differs: trailing bytes)"
}
