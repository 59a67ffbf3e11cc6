// Package jsonfield tells which JSON names a Go struct decodes, the way
// encoding/json (and so sigs.k8s.io/yaml) sees them, for decoders that
// explain an unknown or mistyped field by its place in the document.
package jsonfield

import (
	"reflect"
	"strings"
)

// Fields maps the JSON names of a struct's exported fields to their types;
// embedded structs without a name of their own (and ",inline" ones) are
// flattened into their parent.
func Fields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if name == "" && (f.Anonymous || strings.Contains(opts, "inline")) {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range Fields(ft) {
					out[k] = v
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
