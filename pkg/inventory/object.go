// Package inventory turns sources (files, Helm charts, Kustomize directories,
// later live clusters) into one indexed snapshot of Kubernetes objects that
// every check reads. The snapshot is built once; checks never re-scan it.
package inventory

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/pkg/finding"
)

// Origin tells where an object came from.
type Origin string

// Origins of objects.
const (
	OriginFile      Origin = "file"
	OriginHelm      Origin = "helm"
	OriginKustomize Origin = "kustomize"
	OriginCluster   Origin = "cluster"
	// OriginBuiltIn objects are not in the input: an analysis added them
	// because every API server has them (the default RBAC roles).
	OriginBuiltIn Origin = "builtin"
)

// Object is one Kubernetes object of the inventory. Content is the
// unstructured form (as encoding/json would decode it: map[string]any,
// []any, string, bool, int64, float64). Secret values are removed at load
// time: a Secret's data and stringData keep their keys with empty values.
type Object struct {
	Ref     finding.ObjectRef
	GK      schema.GroupKind // canonical group/kind (see CanonicalGroupKind)
	Content map[string]any
	Origin  Origin
	// Source is the file and the line of the document's first line; Line is 0
	// when the object did not come from a file with meaningful lines (a Helm
	// template, a Kustomize build, the cluster).
	Source finding.Source
	// Elided names top-level fields left out of Content when the object was
	// read (the spec of a CustomResourceDefinition: schemas nobody checks).
	Elided []string
	// lines resolves field paths to lines lazily; nil when unknown.
	lines LineResolver
}

// LineResolver finds the line and column of a field path in an object's
// source document. Implementations parse lazily and cache.
type LineResolver interface {
	FieldPosition(path string) (line, column int, ok bool)
}

// SetLineResolver attaches a resolver to the object; loaders call it.
func (o *Object) SetLineResolver(r LineResolver) { o.lines = r }

// FieldPosition returns the position of a field path (as produced by
// FieldPath) in the object's source file. It falls back to the nearest
// existing ancestor of the path, and to the document line when nothing of the
// path exists in the source (a field that is missing is reported where its
// parent is).
func (o *Object) FieldPosition(path string) (line, column int, ok bool) {
	if o.lines == nil {
		if o.Source.Line > 0 {
			return o.Source.Line, 0, true
		}
		return 0, 0, false
	}
	return o.lines.FieldPosition(path)
}

// Metadata returns the metadata map (nil when absent).
func (o *Object) Metadata() map[string]any { return MapAt(o.Content, "metadata") }

// Labels returns the object's labels as strings.
func (o *Object) Labels() map[string]string { return StringMap(MapAt(o.Content, "metadata", "labels")) }

// Annotations returns the object's annotations as strings.
func (o *Object) Annotations() map[string]string {
	return StringMap(MapAt(o.Content, "metadata", "annotations"))
}

// Annotation returns one annotation value.
func (o *Object) Annotation(key string) (string, bool) {
	v, ok := MapAt(o.Content, "metadata", "annotations")[key].(string)
	return v, ok
}

// MapAt walks nested maps by key and returns the map found there, or nil.
func MapAt(m map[string]any, keys ...string) map[string]any {
	cur := m
	for _, k := range keys {
		next, ok := cur[k].(map[string]any)
		if !ok {
			return nil
		}
		cur = next
	}
	return cur
}

// SliceAt walks nested maps and returns the list at the last key, or nil.
func SliceAt(m map[string]any, keys ...string) []any {
	if len(keys) == 0 {
		return nil
	}
	parent := MapAt(m, keys[:len(keys)-1]...)
	s, _ := parent[keys[len(keys)-1]].([]any)
	return s
}

// StringAt walks nested maps and returns the string at the last key.
func StringAt(m map[string]any, keys ...string) (string, bool) {
	if len(keys) == 0 {
		return "", false
	}
	parent := MapAt(m, keys[:len(keys)-1]...)
	s, ok := parent[keys[len(keys)-1]].(string)
	return s, ok
}

// BoolAt walks nested maps and returns the bool at the last key.
func BoolAt(m map[string]any, keys ...string) (value, ok bool) {
	if len(keys) == 0 {
		return false, false
	}
	parent := MapAt(m, keys[:len(keys)-1]...)
	b, ok := parent[keys[len(keys)-1]].(bool)
	return b, ok
}

// StringMap converts a map of scalars to strings, skipping non-strings.
func StringMap(m map[string]any) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}
