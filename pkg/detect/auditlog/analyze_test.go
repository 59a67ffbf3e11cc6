package auditlog

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// A log directory as the API server leaves it (--audit-log-maxage and
// friends): the current file and a rotated, gzipped one whose name sorts
// first but whose events are older or newer. Given as the directory or as
// the files in any order, the findings are those of one log.
func TestAnalyzeRotatedLogDirectory(t *testing.T) {
	rules := []finding.RuleID{checks.RuleAuditAuthFailureSpike, checks.RuleAuditRequestRateAnomaly, checks.RuleAuditAnonymousRequest}
	all := identBotsLog()
	older, newer := splitAt(all, 20*time.Minute)
	dir := t.TempDir()
	logs := filepath.Join(dir, "kube-apiserver")
	if err := os.Mkdir(logs, 0o700); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(Lines(older...))
	zw.Close()
	rotated := filepath.Join(logs, "audit-2026-11-25T10-20-00.000.log.gz")
	current := filepath.Join(logs, "audit.log")
	if err := os.WriteFile(rotated, gz.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(current, Lines(newer...), 0o600); err != nil {
		t.Fatal(err)
	}
	want := strings.Join(ruleObjects(analyze(t, nil, all, rules...)), "\n")
	if want == "" {
		t.Fatal("no finding in the whole log: the test would prove nothing")
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, inputs := range [][]string{{logs}, {current, rotated}, {rotated, current}, {empty, logs}} {
		res, err := Analyze(inputs, nil, Options{Rules: rules})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(ruleObjects(res.Findings), "\n"); got != want {
			t.Errorf("%v:\n%s\nwant (one log):\n%s", inputs, got, want)
		}
		if res.Decode.Events != int64(len(all)) {
			t.Errorf("%v: %d events read, want %d", inputs, res.Decode.Events, len(all))
		}
		wantErrs := 0
		if inputs[0] == empty {
			wantErrs = 1
		}
		if len(res.Errors) != wantErrs {
			t.Errorf("%v: errors %v", inputs, res.Errors)
		} else if wantErrs == 1 && !strings.Contains(res.Errors[0].Error(), empty+": a directory without log files") {
			t.Errorf("empty directory: %v", res.Errors[0])
		}
	}
}
