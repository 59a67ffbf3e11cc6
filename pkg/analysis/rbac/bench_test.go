package rbac_test

import (
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/analysis/rbac/rbacgen"
	"github.com/kharden/kharden/pkg/inventory"
)

// The benchmark set: 50,000 generated Roles, ClusterRoles and bindings,
// made once per test binary. Targets (2 cores): build under 2 s, who-can
// p50 under 1 ms, a million Authorize calls under 10 s. bench/rbac prints
// the medians of five runs next to the targets.
var bench50k struct {
	once    sync.Once
	objects []map[string]any
	inv     *inventory.Inventory
	index   *rbac.Index
	err     error
}

func benchSet(b *testing.B) (*inventory.Inventory, *rbac.Index, []map[string]any) {
	b.Helper()
	bench50k.once.Do(func() {
		bench50k.objects = rbacgen.Generate(1, rbacgen.Bench50k())
		bench50k.inv, bench50k.err = rbacgen.Inventory(bench50k.objects)
		if bench50k.err == nil {
			bench50k.index = rbac.Build(bench50k.inv)
		}
	})
	if bench50k.err != nil {
		b.Fatal(bench50k.err)
	}
	return bench50k.inv, bench50k.index, bench50k.objects
}

// BenchmarkBuild50k builds the index of 50,000 roles and bindings; it
// reports the heap the index keeps alive.
func BenchmarkBuild50k(b *testing.B) {
	inv, _, _ := benchSet(b)
	mb := retainedMB(func() any { return rbac.Build(inv) })
	for b.Loop() {
		rbac.Build(inv)
	}
	b.ReportMetric(mb, "MB-retained")
}

// retainedMB is the heap, in MB, still in use after a garbage collection
// for what build returns.
func retainedMB(build func() any) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v := build()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / 1e6
}

// BenchmarkWhoCan asks who may make random requests of the 50k index, one
// per op, and reports the 50th and 99th percentile latency.
func BenchmarkWhoCan(b *testing.B) {
	_, x, objects := benchSet(b)
	qs := rbacgen.Questions(2, objects, 1000)
	var lat []time.Duration
	i := 0
	for b.Loop() {
		start := time.Now()
		x.WhoCan(qs[i%len(qs)].Request)
		lat = append(lat, time.Since(start))
		i++
	}
	p50, p99 := percentiles(lat)
	b.ReportMetric(float64(p50)/1e3, "p50-µs")
	b.ReportMetric(float64(p99)/1e3, "p99-µs")
}

func percentiles(lat []time.Duration) (p50, p99 time.Duration) {
	if len(lat) == 0 {
		return 0, 0
	}
	slices.Sort(lat)
	return lat[len(lat)/2], lat[len(lat)*99/100]
}

// BenchmarkAuthorize1M makes a million Authorize calls per op, cycling
// through 10,000 random questions.
func BenchmarkAuthorize1M(b *testing.B) {
	_, x, objects := benchSet(b)
	qs := rbacgen.Questions(3, objects, 10000)
	allowed := 0
	for b.Loop() {
		for i := range 1_000_000 {
			q := &qs[i%len(qs)]
			if ok, _ := x.Authorize(q.User, q.Request, false); ok {
				allowed++
			}
		}
	}
	if allowed == 0 {
		b.Fatal("nothing allowed: the benchmark would measure only misses")
	}
}
