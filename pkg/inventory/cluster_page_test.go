package inventory

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestDecodeListPageMatchesDynamicClient checks that a page decoded in one
// pass gives the items the dynamic client's decoder gives.
func TestDecodeListPageMatchesDynamicClient(t *testing.T) {
	bodies := []struct{ name, body, cont string }{
		{"typed list", `{"apiVersion":"v1","kind":"PodList","metadata":{"resourceVersion":"7","continue":"abc"},"items":[
			{"metadata":{"name":"a","namespace":"n","labels":{"app":"a"}},"spec":{"containers":[{"name":"c","image":"nginx","ports":[{"containerPort":8080}]}],
			"terminationGracePeriodSeconds":30,"overhead":{"x":1.5},"big":123456789012345678901234567890},"status":{"podIP":"10.0.0.1"}},
			{"apiVersion":"v1","kind":"Pod","metadata":{"name":"b"}}]}`, "abc"},
		{"custom resources", `{"apiVersion":"stable.example.com/v1","kind":"CronTabList","metadata":{},"items":[
			{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"x"},"spec":{"n":-3,"f":1e3,"t":true,"z":null,"s":"\u00e9\ud83d\ude00"}}]}`, ""},
		{"no items", `{"apiVersion":"v1","kind":"ConfigMapList","metadata":{"resourceVersion":"1"},"items":[]}`, ""},
		{"null items", `{"apiVersion":"v1","kind":"ConfigMapList","metadata":{},"items":null}`, ""},
		{"duplicate keys", `{"apiVersion":"v1","kind":"ConfigMapList","items":[{"metadata":{"name":"a","name":"b"},"data":{"k":"1","k":"2"}}]}`, ""},
	}
	for _, b := range bodies {
		t.Run(b.name, func(t *testing.T) {
			var want unstructured.UnstructuredList
			if err := want.UnmarshalJSON([]byte(b.body)); err != nil {
				t.Fatal(err)
			}
			got, err := decodeListPage([]byte(b.body))
			if err != nil {
				t.Fatal(err)
			}
			if got.cont != b.cont || got.cont != want.GetContinue() || got.apiVersion != want.GetAPIVersion() {
				t.Errorf("continue %q apiVersion %q, want %q %q", got.cont, got.apiVersion, want.GetContinue(), want.GetAPIVersion())
			}
			if len(got.items) != len(want.Items) {
				t.Fatalf("%d items, want %d", len(got.items), len(want.Items))
			}
			for i := range want.Items {
				if !reflect.DeepEqual(got.items[i], want.Items[i].Object) {
					t.Errorf("item %d:\n got %#v\nwant %#v", i, got.items[i], want.Items[i].Object)
				}
			}
		})
	}
	for _, bad := range []string{``, `{`, `[]`, `{"items":[1]}`, `{"items":{}}`} {
		if _, err := decodeListPage([]byte(bad)); !isDecodeFailure(err) {
			t.Errorf("%q: err = %v, want a decode failure", bad, err)
		}
	}
}
