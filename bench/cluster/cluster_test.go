package cluster

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kharden/kharden/internal/testcluster"
	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/scan"
)

// TestDefaultSpecShape keeps the generator honest: the sizes the benchmark
// claims.
func TestDefaultSpecShape(t *testing.T) {
	p := Generate(DefaultSpec, 1)
	checks := []struct {
		what string
		got  int
		want int
	}{
		{"objects", p.Len(), 20000},
		{"pods", p.Count("Pod"), 5000},
		{"RBAC objects", p.Count("Role") + p.Count("RoleBinding"), 2000},
		{"namespaces", p.Count("Namespace"), 500},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.what, c.got, c.want)
		}
	}
	for _, k := range []string{"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "Service", "ConfigMap", "Secret", "ServiceAccount"} {
		if p.Count(k) == 0 {
			t.Errorf("no %s", k)
		}
	}
	// Every pod names an owner that exists in an earlier wave.
	for wi, w := range p.Waves {
		for _, o := range w {
			if o.Owner < 0 {
				continue
			}
			ow, oi := OwnerAt(o, wi)
			if ow >= wi || oi >= len(p.Waves[ow]) {
				t.Fatalf("%v owned by wave %d index %d", o.Content["metadata"], ow, oi)
			}
		}
	}
}

// serverOptions give the API server a service range that holds the
// benchmark's 2,500 Services (the default /24 does not).
var serverOptions = testcluster.Options{Flags: map[string][]string{"service-cluster-ip-range": {"10.96.0.0/16"}}}

// TestLoadSmallCluster loads a small plan into a real API server and lists
// it back.
func TestLoadSmallCluster(t *testing.T) {
	cfg := testcluster.Start(t, serverOptions).Config
	spec := DefaultSpec
	spec.Namespaces = 3
	p := Generate(spec, 1)
	if _, err := Load(context.Background(), cfg, p, 8); err != nil {
		t.Fatal(err)
	}
	n, err := ListAll(context.Background(), cfg, 500, 4)
	if err != nil {
		t.Fatal(err)
	}
	if n < p.Len() {
		t.Errorf("listed %d objects, created %d", n, p.Len())
	}
	// Loading again adds nothing and does not fail.
	if _, err := Load(context.Background(), cfg, p, 8); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkClusterScan loads the 20,000-object cluster into a real API
// server once, then measures the bare list of everything and a full cluster
// scan (inventory.LoadCluster + scan.Inventory), and reports the scan/list
// ratio (goal <= 1.5) and the scan's peak Go memory (goal <= 500 MiB).
func BenchmarkClusterScan(b *testing.B) {
	cfg := benchConfig(b)
	// The CLI's garbage-collector setting (cli.gcPercent), so the peak is
	// the one a user sees.
	defer debug.SetGCPercent(debug.SetGCPercent(50))
	p := Generate(DefaultSpec, 1)
	loadTime, err := Load(context.Background(), cfg, p, 16)
	if err != nil {
		b.Fatal(err)
	}
	p = nil
	runtime.GC()
	fmt.Fprintf(os.Stderr, "loaded %d objects in %s (%.0f objects/s)\n", DefaultSpec.objects(), loadTime.Round(time.Millisecond),
		float64(DefaultSpec.objects())/loadTime.Seconds())
	var listTime, scanTime time.Duration
	var listed int
	b.Run("list", func(b *testing.B) {
		for b.Loop() {
			n, err := ListAll(context.Background(), cfg, inventory.DefaultChunkSize, inventory.DefaultParallelism)
			if err != nil {
				b.Fatal(err)
			}
			listed = n
		}
		listTime = b.Elapsed() / time.Duration(b.N)
		b.ReportMetric(float64(listed), "objects")
	})
	var peak uint64
	b.Run("scan", func(b *testing.B) {
		runtime.GC()
		stop := samplePeak(&peak)
		var findings int
		for b.Loop() {
			inv, err := inventory.LoadCluster(context.Background(), inventory.ClusterOptions{Config: cfg})
			if err != nil {
				b.Fatal(err)
			}
			res, err := scan.Inventory(inv, scan.Options{})
			if err != nil {
				b.Fatal(err)
			}
			findings = len(res.Findings)
		}
		stop()
		scanTime = b.Elapsed() / time.Duration(b.N)
		b.ReportMetric(float64(findings), "findings")
		b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
	})
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Fprintf(os.Stderr, "list everything: %s (%d objects); scan --cluster: %s; ratio %.2f (goal <= 1.5); scan peak Go memory %.0f MiB (goal <= 500); process max RSS %d MiB\n",
		listTime.Round(time.Millisecond), listed, scanTime.Round(time.Millisecond), float64(scanTime)/float64(listTime),
		float64(peak)/(1<<20), ru.Maxrss/1024)
}

// benchConfig is the API server to measure: $KHARDEN_BENCH_KUBECONFIG (a
// `kharden lab` kubeconfig, say) when set, else a fresh test cluster.
func benchConfig(b *testing.B) *rest.Config {
	if path := os.Getenv("KHARDEN_BENCH_KUBECONFIG"); path != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", path)
		if err != nil {
			b.Fatal(err)
		}
		return cfg
	}
	return testcluster.Start(b, serverOptions).Config
}

func (s Spec) objects() int { return Generate(s, 1).Len() }

// samplePeak samples the Go runtime's memory in use (mapped minus released
// to the OS: what RSS holds of Go's own) every few milliseconds until stop.
func samplePeak(peak *uint64) (stop func()) {
	samples := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(samples)
			if v := samples[0].Value.Uint64() - samples[1].Value.Uint64(); v > *peak {
				*peak = v
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
