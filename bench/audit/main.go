// Command audit measures `kharden audit analyze`'s engine on a generated
// audit log of 1,000,000 events (about 1 GB, bench/auditgen, written once to
// a cache file): events per second of decoding alone and of decoding with
// every detector on, next to a plain encoding/json decode loop into the API
// server's own Event type (the reference floor), and the peak resident
// memory of each (each mode runs in its own process). Medians of -runs.
//
//	go run -tags kustomize_disable_go_plugin_support ./bench/audit [-events N] [-runs 5]
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kharden/kharden/bench/auditgen"
	"github.com/kharden/kharden/bench/benchutil"
	"github.com/kharden/kharden/pkg/detect/auditlog"
)

// Targets on the 2-core reference machine.
const (
	eventsPerSecondTarget = 150000
	peakRSSTarget         = 300 << 20
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	events := fs.Int("events", 1_000_000, "events in the generated log")
	runs := fs.Int("runs", 5, "runs of each measurement (the median is printed)")
	mode := fs.String("mode", "", "internal: run one measurement in this process (floor, decode, detect)")
	file := fs.String("file", "", "internal: the log to read")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *mode != "" {
		return child(*mode, *file, stdout, stderr)
	}
	path, size, err := logFile(*events)
	if err != nil {
		fmt.Fprintln(stderr, "bench/audit:", err)
		return 1
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "bench/audit:", err)
		return 1
	}
	fmt.Fprintf(stdout, "audit log: %d events, %.0f MB (%s), %d runs, medians\n\n", *events, float64(size)/1e6, path, *runs)
	fmt.Fprintf(stdout, "%-34s %12s %10s %12s %12s\n", "mode", "events/s", "MB/s", "peak RSS", "vs target")
	for _, m := range []string{"floor", "decode", "detect"} {
		var rates, rss []float64
		var n int64
		for range *runs {
			out, err := exec.Command(self, "-mode", m, "-file", path).Output()
			if err != nil {
				fmt.Fprintf(stderr, "bench/audit: %s: %v\n", m, err)
				return 1
			}
			// child prints: events seconds peakRSS
			f := strings.Fields(string(out))
			if len(f) != 3 {
				fmt.Fprintf(stderr, "bench/audit: %s: unexpected output %q\n", m, out)
				return 1
			}
			n, _ = strconv.ParseInt(f[0], 10, 64)
			secs, _ := strconv.ParseFloat(f[1], 64)
			peak, _ := strconv.ParseFloat(f[2], 64)
			rates = append(rates, float64(n)/secs)
			rss = append(rss, peak)
		}
		rate, peak := benchutil.Median(rates), benchutil.Median(rss)
		label := map[string]string{"floor": "encoding/json into auditv1.Event", "decode": "kharden decoder",
			"detect": "kharden decoder + all detectors"}[m]
		vs := ""
		if m == "detect" {
			vs = fmt.Sprintf("%.2fx, %.2f", rate/eventsPerSecondTarget, peak/peakRSSTarget)
		}
		fmt.Fprintf(stdout, "%-34s %12.0f %10.0f %9.0f MiB %12s\n", label, rate, rate*float64(size)/float64(n)/1e6, peak/(1<<20), vs)
	}
	fmt.Fprintf(stdout, "\ntargets: >= %d events/s with all detectors (ratio >= 1 is met), peak RSS < %d MiB (ratio < 1 is met)\n",
		eventsPerSecondTarget, peakRSSTarget>>20)
	return 0
}

// logFile writes the generated log once into the user cache directory.
func logFile(events int) (string, int64, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "kharden-bench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", 0, err
	}
	path := filepath.Join(dir, fmt.Sprintf("audit-%d-v1.log", events))
	if st, err := os.Stat(path); err == nil {
		return path, st.Size(), nil
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return "", 0, err
	}
	n, err := auditgen.Write(f, events, 1)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, err
	}
	return path, n, os.Rename(tmp, path)
}

// child runs one measurement and prints "events seconds peakRSSbytes".
func child(mode, path string, stdout, stderr io.Writer) int {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer f.Close()
	start := time.Now()
	var n int64
	switch mode {
	case "floor":
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var ev auditv1.Event
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				fmt.Fprintln(stderr, err)
				return 1
			}
			n++
		}
	case "decode", "detect":
		var eng *auditlog.Engine
		if mode == "detect" {
			if eng, err = auditlog.New(auditlog.Options{}); err != nil {
				fmt.Fprintln(stderr, err)
				return 1
			}
		}
		d := auditlog.NewDecoder(f, path)
		var ev auditlog.Event
		for {
			err := d.Next(&ev)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				fmt.Fprintln(stderr, err)
				return 1
			}
			if eng != nil {
				eng.Observe(&ev)
			}
			n++
		}
		if eng != nil {
			eng.Close()
			_ = eng.Findings()
		}
	default:
		fmt.Fprintln(stderr, "unknown mode", mode)
		return 2
	}
	secs := time.Since(start).Seconds()
	fmt.Fprintf(stdout, "%d %f %d\n", n, secs, peakRSS())
	return 0
}

// peakRSS is the process's peak resident set (VmHWM), in bytes.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
