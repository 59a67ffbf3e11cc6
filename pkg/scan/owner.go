package scan

import (
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/inventory"
)

func namespaceObjects(inv *inventory.Inventory) map[string]*inventory.Object {
	m := map[string]*inventory.Object{}
	for _, o := range inv.ByKind(inventory.KindNamespace) {
		if _, dup := m[o.Ref.Name]; !dup {
			m[o.Ref.Name] = o
		}
	}
	return m
}

// ownerOf names the team that owns an object: the first owner key found on
// the object's labels or annotations, then on its pod template, then on its
// namespace.
func ownerOf(o *inventory.Object, namespaces map[string]*inventory.Object, keys []string) string {
	if v := config.Owner(o.Labels(), o.Annotations(), keys); v != "" {
		return v
	}
	if t, ok := o.PodTemplateOf(); ok {
		if v := config.Owner(inventory.StringMap(inventory.MapAt(t.Meta, "labels")),
			inventory.StringMap(inventory.MapAt(t.Meta, "annotations")), keys); v != "" {
			return v
		}
	}
	if ns, ok := namespaces[o.Ref.Namespace]; ok && ns != o {
		return config.Owner(ns.Labels(), ns.Annotations(), keys)
	}
	return ""
}
