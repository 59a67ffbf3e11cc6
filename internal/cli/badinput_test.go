package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBadInputGetsOneLineErrors: hostile or broken inputs each give a clear
// one-line error naming the file, exit 2, no hang and no panic, and the good
// file beside them is still scanned.
func TestBadInputGetsOneLineErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var bomb strings.Builder
	bomb.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n  a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	for i := 1; i < 10; i++ {
		bomb.WriteString("  a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 9; j++ {
			if j > 0 {
				bomb.WriteString(",")
			}
			bomb.WriteString("*a" + string(rune('0'+i-1)))
		}
		bomb.WriteString("]\n")
	}
	huge := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: huge}\ndata:\n  blob: \"" + strings.Repeat("x", 9<<20) + "\"\n"
	cases := []struct {
		name, file, want string
	}{
		{"alias bomb", write("bomb.yaml", []byte(bomb.String())), "alias"},
		{"document over the size limit", write("huge.yaml", []byte(huge)), "limit"},
		{"binary file", write("blob.yaml", []byte{0x7f, 'E', 'L', 'F', 0, 0, 1, 2, 3, 0xff, 0xfe}), "binary"},
		{"syntax error", write("broken.yaml", []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   bad: indent\n")), "broken.yaml:"},
	}
	good := write("good/app.yaml", []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: good}\nspec:\n  containers:\n  - {name: c, image: nginx}\n"))
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			code, stdout, stderr := run(t, "", "scan", tt.file, good, "-o", "json")
			if code != ExitUsage {
				t.Fatalf("exit %d, want %d\n%s", code, ExitUsage, stderr)
			}
			if time.Since(start) > 20*time.Second {
				t.Errorf("took %v", time.Since(start))
			}
			var line string
			for _, l := range strings.Split(stderr, "\n") {
				if strings.Contains(l, filepath.Base(tt.file)) {
					line = l
				}
			}
			if line == "" || !strings.Contains(strings.ToLower(line), tt.want) {
				t.Errorf("no one-line error naming %s and saying %q:\n%s", filepath.Base(tt.file), tt.want, stderr)
			}
			if len(line) > 400 {
				t.Errorf("error line is %d characters long", len(line))
			}
			if !strings.Contains(stdout, `"good"`) {
				t.Error("the good file was not scanned")
			}
		})
	}
}

func TestSymlinkLoopAndEmptyDirectory(t *testing.T) {
	dir := t.TempDir()
	loop := filepath.Join(dir, "tree")
	if err := os.MkdirAll(filepath.Join(loop, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(loop, filepath.Join(loop, "sub", "back")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(loop, "app.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var code int
	var stderr string
	go func() {
		code, _, stderr = run(t, "", "scan", loop, "-o", "json")
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("symlink loop: scan hangs")
	}
	if code != ExitOK || !strings.Contains(stderr, "loop") {
		t.Fatalf("symlink loop: exit %d, want 0 with a warning naming the loop\n%s", code, stderr)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = run(t, "", "scan", empty)
	if code != ExitUsage || !strings.Contains(stderr, "no Kubernetes objects found") {
		t.Fatalf("empty directory: exit %d\n%s", code, stderr)
	}
	if n := bytes.Count([]byte(stderr), []byte("\n")); n > 3 {
		t.Errorf("empty directory: %d lines of errors", n)
	}
}
