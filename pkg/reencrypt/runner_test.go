package reencrypt

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"
)

var secretsGVR = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}

func secret(name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": name, "namespace": "ns", "resourceVersion": "1"},
		"data":     map[string]any{"k": "dmFsdWUtdGhhdC1pcy1zZWNyZXQ="},
	}}
	return u
}

// TestObjectOutcomes drives one object's update against a fake API: a
// conflict is retried after a re-GET, a vanished object is skipped, a
// rejected one fails without its status message (which may quote values).
func TestObjectOutcomes(t *testing.T) {
	tests := []struct {
		name   string
		errs   []error // returned by successive updates; nil: success
		want   Counts
		reason string
	}{
		{"ok", []error{nil}, Counts{Unchanged: 1}, ""},
		{"conflict then ok", []error{apierrors.NewConflict(secretsGVR.GroupResource(), "a", nil), nil}, Counts{Conflicts: 1, Unchanged: 1}, ""},
		{"always conflicts", []error{apierrors.NewConflict(secretsGVR.GroupResource(), "a", nil)}, Counts{Conflicts: maxConflictRetries, Failed: 1}, "Conflict (HTTP 409)"},
		{"deleted", []error{apierrors.NewNotFound(secretsGVR.GroupResource(), "a")}, Counts{Skipped: 1}, ""},
		{"invalid", []error{apierrors.NewInvalid(schema.GroupKind{Kind: "Secret"}, "a",
			field.ErrorList{field.Invalid(field.NewPath("data", "k"), "value-that-is-secret", "bad")})}, Counts{Failed: 1}, "Invalid (HTTP 422)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := dynamicfake.NewSimpleDynamicClient(runtime.NewScheme(), secret("a"))
			calls := 0
			client.PrependReactor("update", "secrets", func(k8stesting.Action) (bool, runtime.Object, error) {
				err := tt.errs[min(calls, len(tt.errs)-1)]
				calls++
				if err != nil {
					return true, nil, err
				}
				return true, secret("a"), nil
			})
			r := &runner{o: Options{Apply: true}, client: client, res: &Result{}}
			var c Counts
			tgt := target{name: "secrets", gvr: secretsGVR, namespaced: true}
			if err := r.object(context.Background(), tgt, secret("a"), "ns/a", &c); err != nil {
				t.Fatal(err)
			}
			if c != tt.want {
				t.Fatalf("counts %+v, want %+v", c, tt.want)
			}
			if tt.reason != "" && (len(r.res.Failures) != 1 || r.res.Failures[0].Reason != tt.reason) {
				t.Fatalf("failures %+v, want reason %q", r.res.Failures, tt.reason)
			}
			for _, f := range r.res.Failures {
				if strings.Contains(f.Reason+f.Key, "secret") {
					t.Fatalf("failure leaks the status message: %+v", f)
				}
			}
		})
	}
}
