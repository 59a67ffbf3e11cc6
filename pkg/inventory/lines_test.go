package inventory

import (
	"fmt"
	"sync"
	"testing"
)

func TestFieldPosition(t *testing.T) {
	in := `# header
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    kharden.dev/ignore: "x"
spec:
  template:
    spec:
      containers:
      - name: app
        image: nginx
        securityContext:
          privileged: true
      - name: side
        image: busybox
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: a}
  spec:
    containers: [{name: c, image: x}]
- apiVersion: v1
  kind: Pod
  metadata:
    name: b
  spec:
    hostNetwork: true
`
	objs, diags := ParseDocuments("d.yaml", []byte(in), OriginFile)
	if len(diags) != 0 || len(objs) != 3 {
		t.Fatalf("objects %v, diagnostics %v", objSummary(objs), diags)
	}
	tests := []struct {
		obj       int
		path      string
		line, col int
	}{
		{0, "metadata.name", 6, 3},
		{0, "metadata.annotations['kharden.dev/ignore']", 8, 5},
		{0, "spec.template.spec.containers[0].securityContext.privileged", 16, 11},
		{0, "spec.template.spec.containers[1]", 17, 9},
		{0, "spec.template.spec.containers[1].image", 18, 9},
		// missing fields fall back to the nearest ancestor
		{0, "spec.template.spec.containers[1].securityContext.runAsNonRoot", 17, 9},
		{0, "spec.template.spec.hostPID", 11, 5},
		{0, "spec.template.spec.containers[5].image", 12, 7},
		{0, "nothere", 3, 1},
		{0, "", 3, 1},
		// List items resolve inside their item
		{1, "metadata.name", 25, 14},
		{1, "spec.containers[0].image", 27, 28},
		{1, "nothere.x", 23, 3},
		{2, "spec.hostNetwork", 33, 5},
		{2, "metadata.name", 31, 5},
	}
	for _, tt := range tests {
		line, col, ok := objs[tt.obj].FieldPosition(tt.path)
		if !ok || line != tt.line || col != tt.col {
			t.Errorf("object %d %q = %d:%d %v, want %d:%d", tt.obj, tt.path, line, col, ok, tt.line, tt.col)
		}
	}
}

func TestFieldPositionMergeAndDuplicates(t *testing.T) {
	in := "base: &b\n  app: web\n  tier: x\napiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n  labels:\n    <<: *b\n    tier: y\n"
	objs, _ := ParseDocuments("m.yaml", []byte(in), OriginFile)
	if len(objs) != 1 {
		t.Fatal("no object")
	}
	for path, want := range map[string]int{"metadata.name": 8, "metadata.labels.tier": 11, "metadata.labels.app": 2} {
		if line, _, _ := objs[0].FieldPosition(path); line != want {
			t.Errorf("%s = line %d, want %d", path, line, want)
		}
	}
}

// Concurrent requests on objects of one document (List items) and of
// different documents are safe (run with -race).
func TestFieldPositionConcurrent(t *testing.T) {
	in := "apiVersion: v1\nkind: List\nitems:\n"
	for i := range 50 {
		in += fmt.Sprintf("- apiVersion: v1\n  kind: Pod\n  metadata: {name: p%d}\n", i)
	}
	objs, _ := ParseDocuments("c.yaml", []byte(in), OriginFile)
	var wg sync.WaitGroup
	for i, o := range objs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			line, _, _ := o.FieldPosition("metadata.name")
			if want := 4 + 3*i + 2; line != want {
				t.Errorf("item %d: line %d, want %d", i, line, want)
			}
		}()
	}
	wg.Wait()
}
