package auditgen

import (
	"bytes"
	"encoding/json"
	"testing"
)

// The log is audit JSON lines of about 1 KB an event, the same on every run.
func TestWrite(t *testing.T) {
	var a, b bytes.Buffer
	n, err := Write(&a, 2000, 1)
	if err != nil {
		t.Fatal(err)
	}
	Write(&b, 2000, 1)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("not deterministic")
	}
	if avg := n / 2000; avg < 700 || avg > 1400 {
		t.Errorf("average event size %d bytes, want about 1 KB", avg)
	}
	lines := bytes.Split(bytes.TrimSpace(a.Bytes()), []byte("\n"))
	if len(lines) != 2000 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil || m["apiVersion"] != "audit.k8s.io/v1" {
			t.Fatalf("bad line %s: %v", l, err)
		}
	}
}
