package inventory

import (
	"testing"
	"time"
)

// FuzzParseDocuments: no panic, bounded time, and the invariants every
// caller relies on. Seeds are under testdata/fuzz/FuzzParseDocuments.
func FuzzParseDocuments(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n"))
	f.Add([]byte("---\n{ apiVersion: v1, kind: Pod, # c\n metadata: {name: a} }\n---\n# only\n"))
	f.Add([]byte("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: a}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		objs, diags := ParseDocumentsLimit("fuzz.yaml", data, OriginFile, 1<<20)
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("took %s", d)
		}
		for _, o := range objs {
			if av, _ := o.Content["apiVersion"].(string); av == "" {
				t.Error("object without apiVersion")
			}
			if k, _ := o.Content["kind"].(string); k == "" {
				t.Error("object without kind")
			}
			if o.Source.File != "fuzz.yaml" || o.Source.Line < 1 {
				t.Errorf("bad source %+v", o.Source)
			}
			o.FieldPosition("metadata.name")
			o.FieldPosition("spec.containers[0].image")
		}
		for _, d := range diags {
			if d.File != "fuzz.yaml" {
				t.Errorf("diagnostic names %q", d.File)
			}
		}
	})
}
