package bench

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/scan"
)

// corpusDir finds the shared corpus of real-world manifests.
func corpusDir(tb testing.TB) string {
	dir := os.Getenv("KHARDEN_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpus")
	}
	dir = filepath.Join(dir, "real")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("corpus not found at %s", dir)
		}
		tb.Skipf("corpus not found at %s", dir)
	}
	return dir
}

// BenchmarkCorpusScan is the in-process part of the corpus figure: load and
// scan every file with every rule (bench/corpus measures the whole process).
func BenchmarkCorpusScan(b *testing.B) {
	dir := corpusDir(b)
	objects := 0
	for i := 0; i < b.N; i++ {
		res, err := scan.Run(context.Background(), scan.Options{Load: inventory.LoadOptions{Paths: []string{dir}}})
		if err != nil {
			b.Fatal(err)
		}
		objects = len(res.Inventory.Objects)
	}
	b.ReportMetric(float64(objects)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
}
