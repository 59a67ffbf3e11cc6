package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"syscall"
	"time"

	"github.com/kharden/kharden/bench/benchutil"
	"github.com/kharden/kharden/pkg/analysis/netpol"
	"github.com/kharden/kharden/pkg/analysis/netpol/netgen"
	"github.com/kharden/kharden/pkg/network"
)

// Targets on the 2-core reference machine.
const (
	summaryTarget    = 5 * time.Second
	summaryMemTarget = 1024.0 // MiB
	reachTarget      = 50 * time.Millisecond
)

// reachQueries are asked per run: random workload pairs, every declared
// port of the destination, explained.
const reachQueries = 200

// results are the medians over the runs.
type results struct {
	runs, workloads, classes, policies int
	build, summary                     time.Duration
	retainedMiB, allocatedMiB, rssMiB  float64
	reachP50, reachP99                 time.Duration
	allowedShare                       float64
}

func measure(seed int64, runs int) (*results, error) {
	inv, err := netgen.Inventory(netgen.Generate(seed, netgen.Benchmark))
	if err != nil {
		return nil, err
	}
	res := &results{runs: runs}
	var builds, summaries []time.Duration
	var retained, allocated []float64
	var m *netpol.Model
	var s *netpol.Summary
	for range runs {
		start := time.Now()
		m = netpol.Build(inv)
		builds = append(builds, time.Since(start))

		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start = time.Now()
		s = netpol.Summarize(m)
		summaries = append(summaries, time.Since(start))
		runtime.ReadMemStats(&after)
		allocated = append(allocated, float64(after.TotalAlloc-before.TotalAlloc)/(1<<20))
		runtime.GC()
		runtime.ReadMemStats(&after)
		retained = append(retained, float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20))
		runtime.KeepAlive(s)
	}
	res.build, res.summary = benchutil.Median(builds), benchutil.Median(summaries)
	res.retainedMiB, res.allocatedMiB = benchutil.Median(retained), benchutil.Median(allocated)
	res.workloads, res.classes, res.policies = len(m.Workloads), len(m.Classes), len(m.Policies)

	r := rand.New(rand.NewPCG(uint64(seed), 2))
	var p50s, p99s []time.Duration
	allowed, asked := 0, 0
	for range runs {
		lat := make([]time.Duration, 0, reachQueries)
		for range reachQueries {
			from := m.Workloads[r.IntN(len(m.Workloads))]
			to := m.Workloads[r.IntN(len(m.Workloads))]
			q := network.ReachQuestion{From: from.Name(), To: to.Name()}
			start := time.Now()
			a, err := network.Reach(m, q)
			lat = append(lat, time.Since(start))
			if err != nil {
				return nil, fmt.Errorf("reach %s -> %s: %v", q.From, q.To, err)
			}
			for _, p := range a.Pairs {
				asked++
				if p.Allowed {
					allowed++
				}
			}
		}
		slices.Sort(lat)
		p50s = append(p50s, lat[len(lat)/2])
		p99s = append(p99s, lat[len(lat)*99/100])
	}
	res.reachP50, res.reachP99 = benchutil.Median(p50s), benchutil.Median(p99s)
	res.allowedShare = float64(allowed) / float64(asked)

	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		res.rssMiB = float64(ru.Maxrss) / 1024 // Linux reports KiB
	}
	return res, nil
}

func (r *results) Print(w io.Writer) {
	fmt.Fprintf(w, "NetworkPolicy analysis: %d workloads (%d classes), %d policies, median of %d runs (GOMAXPROCS %d)\n\n",
		r.workloads, r.classes, r.policies, r.runs, runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "%-28s %12s %12s %7s\n", "measurement", "median", "target", "ratio")
	row := func(name string, got, target time.Duration) {
		fmt.Fprintf(w, "%-28s %12s %12s %7.3f\n", name, benchutil.Round(got), "< "+target.String(), got.Seconds()/target.Seconds())
	}
	mem := func(name string, got float64, target float64) {
		if target == 0 {
			fmt.Fprintf(w, "%-28s %8.1f MiB\n", name, got)
			return
		}
		fmt.Fprintf(w, "%-28s %8.1f MiB %8.0f MiB %7.3f\n", name, got, target, got/target)
	}
	fmt.Fprintf(w, "%-28s %12s\n", "model build", benchutil.Round(r.build))
	row("summary", r.summary, summaryTarget)
	mem("  heap retained", r.retainedMiB, 0)
	mem("  heap allocated", r.allocatedMiB, summaryMemTarget)
	mem("process peak RSS", r.rssMiB, summaryMemTarget)
	row(fmt.Sprintf("reach p50 (%d queries)", reachQueries), r.reachP50, reachTarget)
	row("reach p99", r.reachP99, reachTarget)
	fmt.Fprintf(w, "%-28s %11.0f%%\n", "  allowed", 100*r.allowedShare)
}
