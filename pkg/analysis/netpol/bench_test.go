package netpol_test

import (
	"runtime"
	"testing"

	"github.com/kharden/kharden/pkg/analysis/netpol"
	"github.com/kharden/kharden/pkg/analysis/netpol/netgen"
)

// benchModel is the model of netgen's benchmark network: 10,000 workloads
// in 500 namespaces under 2,000 policies.
func benchModel(b *testing.B) *netpol.Model {
	b.Helper()
	inv, err := netgen.Inventory(netgen.Generate(1, netgen.Benchmark))
	if err != nil {
		b.Fatal(err)
	}
	return netpol.Build(inv)
}

// BenchmarkSummary10k summarises 10,000 pods in 500 namespaces under
// 2,000 policies (target: < 5 s, < 1 GiB). The model is built outside the
// timer; model-ms reports its build, heap-MB what the summary retains.
func BenchmarkSummary10k(b *testing.B) {
	m := benchModel(b)
	var before, after runtime.MemStats
	b.ResetTimer()
	for range b.N {
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := netpol.Summarize(m)
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/1e6, "heap-MB")
		runtime.KeepAlive(s)
		b.StartTimer()
	}
	b.ReportMetric(float64(len(m.Classes)), "classes")
}

// BenchmarkReach asks one explained reach question of the same cluster
// (target: < 50 ms), from a pod under an egress policy to a pod behind a
// default deny.
func BenchmarkReach(b *testing.B) {
	m := benchModel(b)
	src, dst := benchPair(b, m)
	var ms runtime.MemStats
	b.ResetTimer()
	for range b.N {
		m.Reach(src, dst, netpol.Conn{Port: 9000, Protocol: netpol.TCP})
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/1e6, "heap-MB") // the model the query runs on
	runtime.KeepAlive(m)
}

// benchPair picks the workloads of the namespaces with the most policies:
// the most rules to judge on each side.
func benchPair(b *testing.B, m *netpol.Model) (netpol.Endpoint, netpol.Endpoint) {
	b.Helper()
	var src, dst *netpol.Workload
	for _, w := range m.Workloads {
		n := len(m.PoliciesIn(w.Namespace.Name))
		switch {
		case dst == nil || n > len(m.PoliciesIn(dst.Namespace.Name)):
			src, dst = dst, w
		case src == nil || (n > len(m.PoliciesIn(src.Namespace.Name)) && w.Namespace != dst.Namespace):
			src = w
		}
	}
	if src == nil || dst == nil {
		b.Fatal("no workloads")
	}
	return netpol.Endpoint{Workload: src}, netpol.Endpoint{Workload: dst}
}
