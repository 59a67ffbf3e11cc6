package logfiles

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	empty := filepath.Join(dir, "empty")
	for _, d := range []string{logs, empty, filepath.Join(logs, "sub")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"audit.log", "audit-2026-11-26T10-00-00.000.log.gz", ".audit.log.swp", "sub/x.log"} {
		if err := os.WriteFile(filepath.Join(logs, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	files, errs := Expand([]string{"-", logs, empty, filepath.Join(dir, "missing.log")})
	want := []string{"-", filepath.Join(logs, "audit-2026-11-26T10-00-00.000.log.gz"), filepath.Join(logs, "audit.log"), filepath.Join(dir, "missing.log")}
	if !reflect.DeepEqual(files, want) {
		t.Errorf("files = %v\nwant %v", files, want)
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), empty+": a directory without log files") {
		t.Errorf("errors = %v", errs)
	}
}

func TestOrderByFirst(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	first := map[string]time.Time{"new.log": t0.Add(time.Hour), "old.log.gz": t0}
	got := OrderByFirst([]string{"-", "new.log", "empty.log", "old.log.gz"}, func(p string) time.Time { return first[p] })
	if want := []string{"old.log.gz", "new.log", "-", "empty.log"}; !reflect.DeepEqual(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
}
