package inventory

import (
	"context"
	"errors"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// listParams encodes list options into query parameters as the dynamic
// client does (meta/v1 options under the empty group).
var listParams = func() runtime.ParameterCodec {
	s := runtime.NewScheme()
	metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
	return runtime.NewParameterCodec(s)
}()

// listPage is one decoded page of a list.
type listPage struct {
	apiVersion string // the list's
	cont       string // metadata.continue
	items      []map[string]any
}

// decodeError marks a list page the client could not decode: the objects
// are not visible, retrying does not help.
type decodeError struct{ err error }

func (e *decodeError) Error() string { return e.err.Error() }
func (e *decodeError) Unwrap() error { return e.err }

// listPage reads one page of a resource's list as raw JSON and decodes it in
// one pass. The dynamic client's unstructured decoder reads a list body
// three to four times (to sniff its kind, to find its items, to decode the
// whole list, then each item again), which made decoding most of a cluster
// scan's CPU time and kept two decoded copies of every page alive at once.
// The items are the same maps the dynamic client returns: the same JSON
// decoder (integers as int64), and items without apiVersion and kind get the
// list's, as the unstructured scheme does.
func (l *clusterLoader) listPage(ctx context.Context, gvr schema.GroupVersionResource, lo metav1.ListOptions) (listPage, error) {
	segs := []string{"api"}
	if gvr.Group != "" {
		segs = []string{"apis", gvr.Group}
	}
	segs = append(segs, gvr.Version)
	if l.opts.Namespace != "" {
		segs = append(segs, "namespaces", l.opts.Namespace)
	}
	segs = append(segs, gvr.Resource)
	res := l.rc.Get().AbsPath(segs...).SpecificallyVersionedParams(&lo, listParams, schema.GroupVersion{Version: "v1"}).Do(ctx)
	raw, err := res.Raw()
	if err != nil {
		// Error, not err: it reads the Status in the body of an unexpected
		// server error (a conversion webhook failing says so only there),
		// as Into does for the dynamic client.
		return listPage{}, res.Error()
	}
	if len(raw) == 0 {
		return listPage{}, errors.New("empty response to a list request")
	}
	return decodeListPage(raw)
}

// decodeListPage decodes a list body (see listPage).
func decodeListPage(raw []byte) (listPage, error) {
	var list map[string]any
	if err := utiljson.Unmarshal(raw, &list); err != nil {
		return listPage{}, &decodeError{err}
	}
	var p listPage
	p.apiVersion, _ = list["apiVersion"].(string)
	listKind, _ := list["kind"].(string)
	itemKind := strings.TrimSuffix(listKind, "List")
	p.cont, _ = StringAt(list, "metadata", "continue")
	items, ok := list["items"].([]any)
	if !ok && list["items"] != nil {
		return listPage{}, &decodeError{fmt.Errorf("list items are a %T, not an array", list["items"])}
	}
	p.items = make([]map[string]any, len(items))
	shared := interner{}
	for i, it := range items {
		content, ok := it.(map[string]any)
		if !ok && it != nil {
			return listPage{}, &decodeError{fmt.Errorf("list item %d is a %T, not an object", i, it)}
		}
		if content == nil {
			content = map[string]any{}
		}
		kind, _ := content["kind"].(string)
		apiVersion, _ := content["apiVersion"].(string)
		if kind == "" && apiVersion == "" {
			content["kind"], content["apiVersion"] = itemKind, p.apiVersion
		}
		shared.walk(content)
		p.items[i] = content
		items[i] = nil // the page map is garbage once read; items stay
	}
	return p, nil
}

// maxInterned is the longest string value interned: longer ones (names,
// uids, timestamps, scripts) rarely repeat.
const maxInterned = 40

// interner makes the objects of a page share one copy of each map key and
// short string value. The decoder allocates every key of every object anew
// ("metadata", "name", "imagePullPolicy" ...), and every string value with
// its interface header: a tenth of a decoded cluster. Values are kept boxed,
// so that sharing them allocates nothing. Strings are immutable: sharing
// changes no object.
type interner map[string]any

func (t interner) key(s string) string {
	if b, ok := t[s]; ok {
		return b.(string)
	}
	t[s] = s
	return s
}

// walk interns the keys and short strings of v, in place, and returns v.
func (t interner) walk(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			// Assigning to an existing key stores the key given: the
			// decoder's copy becomes garbage.
			x[t.key(k)] = t.walk(e)
		}
	case []any:
		for i, e := range x {
			x[i] = t.walk(e)
		}
	case string:
		if len(x) > maxInterned {
			return v
		}
		if b, ok := t[x]; ok {
			return b
		}
		t[x] = v
	}
	return v
}
