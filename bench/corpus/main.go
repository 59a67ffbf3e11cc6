// Command corpus measures a full `kharden scan` of the shared manifest
// corpus as a user runs it: a fresh process each time, every rule on. It
// prints the median wall time, peak resident memory, objects per second and
// the ratios to kube-linter's figures measured on the same machine.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"syscall"
	"time"
)

// kube-linter v0.8.3 on the same corpus and machine (DEVELOPERS issue 2).
const (
	kubeLinterWall  = 1100 * time.Millisecond
	kubeLinterRSSMi = 145.0
)

func main() {
	bin := flag.String("bin", "bin/kharden", "kharden binary")
	corpus := flag.String("corpus", "../shared/corpus/real", "directory of manifests")
	runs := flag.Int("runs", 7, "number of runs (the median is reported)")
	flag.Parse()
	if err := run(*bin, *corpus, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "bench/corpus:", err)
		os.Exit(1)
	}
}

func run(bin, corpus string, runs int) error {
	var walls []time.Duration
	var rss []float64
	objects := 0
	for i := 0; i < runs; i++ {
		var out bytes.Buffer
		cmd := exec.Command(bin, "scan", corpus, "-o", "json")
		cmd.Stdout = &out
		start := time.Now()
		err := cmd.Run()
		wall := time.Since(start)
		if cmd.ProcessState == nil {
			return err
		}
		if code := cmd.ProcessState.ExitCode(); code != 0 && code != 1 && code != 2 {
			return fmt.Errorf("scan exited %d: %v", code, err)
		}
		ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		if !ok {
			return fmt.Errorf("no rusage on this platform")
		}
		walls = append(walls, wall)
		rss = append(rss, float64(ru.Maxrss)/1024) // Linux reports KiB
		var rep struct {
			Summary struct {
				Objects int `json:"objects"`
			} `json:"summary"`
		}
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			return fmt.Errorf("reading JSON report: %w", err)
		}
		objects = rep.Summary.Objects
	}
	sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
	sort.Float64s(rss)
	med := walls[len(walls)/2]
	medRSS := rss[len(rss)/2]
	fmt.Printf("corpus scan: %d objects, %d runs\n", objects, runs)
	fmt.Printf("  wall time  median %v (min %v, max %v)\n", med.Round(time.Millisecond), walls[0].Round(time.Millisecond), walls[len(walls)-1].Round(time.Millisecond))
	fmt.Printf("  peak RSS   median %.1f MiB (max %.1f MiB)\n", medRSS, rss[len(rss)-1])
	fmt.Printf("  throughput %.0f objects/s (whole process, start-up included)\n", float64(objects)/med.Seconds())
	fmt.Printf("  vs kube-linter (%v, %.0f MiB): wall %.2fx, memory %.2fx  (goal: wall <= 0.50x, RSS <= 100 MiB)\n",
		kubeLinterWall, kubeLinterRSSMi, med.Seconds()/kubeLinterWall.Seconds(), medRSS/kubeLinterRSSMi)
	return nil
}
