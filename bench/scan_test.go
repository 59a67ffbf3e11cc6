// Package bench holds kharden's end-to-end benchmarks. Run them with
// `make bench`, which also prints the corpus comparison.
package bench

import (
	"testing"

	"github.com/kharden/kharden/bench/synth"
	"github.com/kharden/kharden/pkg/scan"
)

// BenchmarkSynthetic50k runs every rule over a 50,000-object inventory and
// reports objects per second (goal: at least 20,000 on 2 cores).
func BenchmarkSynthetic50k(b *testing.B) {
	inv := synth.Inventory(50000, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := scan.Inventory(inv, scan.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Findings) == 0 {
			b.Fatal("no findings: the benchmark would measure nothing")
		}
	}
	b.ReportMetric(float64(len(inv.Objects))*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
}

// TestSyntheticInventoryShape keeps the generator honest: the benchmark
// inventory has the size and variety it claims.
func TestSyntheticInventoryShape(t *testing.T) {
	inv := synth.Inventory(5000, 1)
	if n := len(inv.Objects); n < 5000 || n > 5010 {
		t.Fatalf("objects = %d, want about 5000", n)
	}
	if len(inv.Kinds()) < 9 {
		t.Fatalf("kinds = %v, want at least 9", inv.Kinds())
	}
}
