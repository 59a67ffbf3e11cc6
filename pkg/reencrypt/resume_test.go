package reencrypt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseResume(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"ok", `{"version":1,"resources":{"/v1, Resource=secrets":{"last":"a/b"}}}`, ""},
		{"no resources", `{"version":1}`, ""},
		{"bad version", `{"version":2,"resources":{}}`, "unsupported version 2"},
		{"unknown field", `{"version":1,"extra":true}`, "unknown field"},
		{"syntax", "{\n\"version\":1,\n]", "line 3"},
		{"type", "{\"version\":\"one\"}", "line 1"},
		{"null entry", `{"version":1,"resources":{"x":null}}`, "null entry"},
		{"trailing", `{"version":1} {}`, "after the JSON object"},
		{"empty", ``, "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseResume([]byte(tt.in))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestResumeRoundTripAndErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "resume.json")
	st, err := loadResume(p, "team-a")
	if err != nil || len(st.Resources) != 0 {
		t.Fatalf("missing file: %v %v", st, err)
	}
	st.entry("/v1, Resource=secrets").Last = "team-a/x"
	if err := st.save(p); err != nil {
		t.Fatal(err)
	}
	got, err := loadResume(p, "team-a")
	if err != nil || got.Resources["/v1, Resource=secrets"].Last != "team-a/x" {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if _, err := loadResume(p, ""); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("other namespace: %v, want an error naming the file", err)
	}
	if err := os.WriteFile(p, []byte("{\n  nope"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadResume(p, "team-a"); err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("malformed: %v, want file and line", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

func TestOptionsDefaults(t *testing.T) {
	o := Options{}
	if err := o.defaults(); err != nil || o.QPS != DefaultQPS || o.ChunkSize != DefaultChunkSize || o.CheckpointEvery != DefaultCheckpointEvery {
		t.Fatalf("%+v %v", o, err)
	}
	for _, bad := range []Options{{QPS: -1}, {ChunkSize: -1}, {CheckpointEvery: -1}} {
		if err := bad.defaults(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

// FuzzParseResume: a resume file is outside input; it must never panic.
func FuzzParseResume(f *testing.F) {
	f.Add([]byte(`{"version":1,"namespace":"a","resources":{"/v1, Resource=secrets":{"last":"a/b","complete":true}}}`))
	f.Add([]byte(`{"version":1,"resources":{"x":null}}`))
	f.Add([]byte("{\n\"version\":"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parseResume(data)
		if err == nil && st.Resources == nil {
			t.Fatal("nil resources without error")
		}
	})
}
