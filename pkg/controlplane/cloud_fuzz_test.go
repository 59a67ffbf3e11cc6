package controlplane

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzCheckCloud feeds CheckCloud arbitrary documents: it must return
// findings or a *CloudError naming the file, never panic.
func FuzzCheckCloud(f *testing.F) {
	for _, pattern := range []string{"*.json", "bad/*"} {
		files, _ := filepath.Glob(filepath.Join("testdata", "cloud", pattern))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, err := CheckCloud("fuzz.json", data)
		if err != nil {
			var ce *CloudError
			if !errors.As(err, &ce) || ce.File != "fuzz.json" {
				t.Fatalf("error %v is not a *CloudError naming the file", err)
			}
			return
		}
		for _, f := range fs {
			if f.Object.Name == "" || f.Source == nil || f.Source.File != "fuzz.json" {
				t.Fatalf("finding without a cluster name or source: %+v", f)
			}
		}
	})
}
