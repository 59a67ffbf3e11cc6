// Command dns measures `kharden dns analyze`'s engine: decoding and every
// detector over a generated CoreDNS log of about a million lines, five
// runs, and prints the median lines/s (wall clock and CPU time) next to
// the target.
//
//	go run -tags kustomize_disable_go_plugin_support ./bench/dns
package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/kharden/kharden/bench/benchutil"
	"github.com/kharden/kharden/pkg/detect/dns"
)

// target is lines/s on the 2-core reference machine.
const target = 500_000

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	return benchutil.Run("dns", args, stdout, stderr, "seed of the generated log", func(seed int64, runs int) (benchutil.Printer, error) {
		return measure(seed, runs)
	})
}

type results struct {
	runs, lines, findings int
	wall, cpu             float64 // median lines/s
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func measure(seed int64, runs int) (*results, error) {
	var buf bytes.Buffer
	if _, err := dns.Generate(&buf, dns.GenerateOptions{Seed: uint64(seed), Clients: 400, PerMinute: 45}); err != nil {
		return nil, err
	}
	log := buf.Bytes()
	res := &results{runs: runs, lines: bytes.Count(log, []byte{'\n'})}
	var walls, cpus []float64
	for range runs {
		start, startCPU := time.Now(), cpuTime()
		e, err := dns.New(dns.Options{})
		if err != nil {
			return nil, err
		}
		d := dns.NewDecoder(bytes.NewReader(log), "bench.log")
		var rec dns.Record
		for d.Next(&rec) {
			e.Observe(&rec)
		}
		e.Close()
		res.findings = len(e.Findings())
		walls = append(walls, float64(res.lines)/time.Since(start).Seconds())
		cpus = append(cpus, float64(res.lines)/(cpuTime()-startCPU).Seconds())
	}
	res.wall, res.cpu = benchutil.Median(walls), benchutil.Median(cpus)
	return res, nil
}

func (r *results) Print(w io.Writer) {
	fmt.Fprintf(w, "dns analyze: %d lines, %d findings, median of %d runs\n", r.lines, r.findings, r.runs)
	fmt.Fprintf(w, "  wall clock  %10.0f lines/s  %.2fx the target of %d\n", r.wall, r.wall/target, target)
	fmt.Fprintf(w, "  CPU time    %10.0f lines/s  %.2fx (the process's CPU time, less sensitive to a busy machine)\n", r.cpu, r.cpu/target)
}
