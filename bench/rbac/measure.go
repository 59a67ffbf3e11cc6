package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"

	"github.com/kharden/kharden/bench/benchutil"
	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/analysis/rbac/rbacgen"
)

// Targets on the 2-core reference machine.
const (
	buildTarget     = 2 * time.Second
	whoCanP50Target = time.Millisecond
	authorizeTarget = 10 * time.Second
)

// Sizes of the query measurements.
const (
	whoCanRequests = 2000
	authorizeCalls = 1_000_000
	questionPool   = 10000
)

// results are the medians over the runs.
type results struct {
	runs, objects        int
	build                time.Duration
	retainedMB           float64
	whoCanP50, whoCanP99 time.Duration
	authorize            time.Duration
	allowedShare         float64
}

func measure(seed int64, runs int) (*results, error) {
	objects := rbacgen.Generate(seed, rbacgen.Bench50k())
	inv, err := rbacgen.Inventory(objects)
	if err != nil {
		return nil, err
	}
	res := &results{runs: runs}
	for _, o := range objects {
		if o["kind"] != "Namespace" {
			res.objects++
		}
	}

	var builds []time.Duration
	var retained []float64
	var x *rbac.Index
	for range runs {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		x = rbac.Build(inv)
		builds = append(builds, time.Since(start))
		runtime.GC()
		runtime.ReadMemStats(&after)
		retained = append(retained, float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/1e6)
		runtime.KeepAlive(x)
	}
	res.build, res.retainedMB = benchutil.Median(builds), benchutil.Median(retained)

	reqs := rbacgen.Questions(seed+1, objects, whoCanRequests)
	var p50s, p99s []time.Duration
	for range runs {
		lat := make([]time.Duration, 0, len(reqs))
		for _, q := range reqs {
			start := time.Now()
			x.WhoCan(q.Request)
			lat = append(lat, time.Since(start))
		}
		slices.Sort(lat)
		p50s = append(p50s, lat[len(lat)/2])
		p99s = append(p99s, lat[len(lat)*99/100])
	}
	res.whoCanP50, res.whoCanP99 = benchutil.Median(p50s), benchutil.Median(p99s)

	qs := rbacgen.Questions(seed+2, objects, questionPool)
	var auths []time.Duration
	allowed := 0
	for range runs {
		allowed = 0
		start := time.Now()
		for i := range authorizeCalls {
			q := &qs[i%len(qs)]
			if ok, _ := x.Authorize(q.User, q.Request, false); ok {
				allowed++
			}
		}
		auths = append(auths, time.Since(start))
	}
	res.authorize = benchutil.Median(auths)
	res.allowedShare = float64(allowed) / authorizeCalls
	return res, nil
}

func (r *results) Print(w io.Writer) {
	fmt.Fprintf(w, "RBAC index: %d roles and bindings, median of %d runs (GOMAXPROCS %d)\n\n",
		r.objects, r.runs, runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "%-22s %12s %10s %7s\n", "measurement", "median", "target", "ratio")
	row := func(name string, got, target time.Duration) {
		fmt.Fprintf(w, "%-22s %12s %10s %7.2f\n", name, benchutil.Round(got), "< "+target.String(), got.Seconds()/target.Seconds())
	}
	row("build", r.build, buildTarget)
	fmt.Fprintf(w, "%-22s %9.1f MB\n", "  heap retained", r.retainedMB)
	row(fmt.Sprintf("who-can p50 (%d)", whoCanRequests), r.whoCanP50, whoCanP50Target)
	fmt.Fprintf(w, "%-22s %12s\n", "who-can p99", benchutil.Round(r.whoCanP99))
	row("authorize x 1M", r.authorize, authorizeTarget)
	fmt.Fprintf(w, "%-22s %11.0f%%\n", "  allowed", 100*r.allowedShare)
}
