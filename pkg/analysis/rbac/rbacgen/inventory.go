package rbacgen

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// Inventory builds an inventory of the objects (deep copies: the caller
// may hand the originals to an API client), as if each had been read from
// a file "rbacgen/N.yaml".
func Inventory(objects []map[string]any) (*inventory.Inventory, error) {
	var b inventory.Builder
	if err := Add(&b, objects); err != nil {
		return nil, err
	}
	return b.Build(), nil
}

// Add adds deep copies of the objects to an inventory builder.
func Add(b *inventory.Builder, objects []map[string]any) error {
	for i, content := range objects {
		src := finding.Source{File: fmt.Sprintf("rbacgen/%d.yaml", i), Line: 1}
		o, err := inventory.NewObject(runtime.DeepCopyJSON(content), inventory.OriginFile, src)
		if err != nil {
			return fmt.Errorf("%s: %w", src.File, err)
		}
		b.Add(o)
	}
	return nil
}
