// Package benchutil holds what the benchmark programs under bench/ share:
// the command line (-runs, -seed), medians and readable durations.
package benchutil

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"time"
)

// Printer is a measurement that prints its table.
type Printer interface{ Print(io.Writer) }

// Run parses -runs and -seed, measures and prints; it returns the exit
// code (2 usage, 1 failure).
func Run(name string, args []string, stdout, stderr io.Writer, seedUsage string,
	measure func(seed int64, runs int) (Printer, error)) int {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("runs", 5, "runs of each measurement (the median is printed)")
	seed := fs.Int64("seed", 1, seedUsage)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *runs < 1 {
		fmt.Fprintf(stderr, "bench/%s: -runs must be at least 1\n", name)
		return 2
	}
	res, err := measure(*seed, *runs)
	if err != nil {
		fmt.Fprintf(stderr, "bench/%s: %v\n", name, err)
		return 1
	}
	res.Print(stdout)
	return 0
}

// Median is the middle value (the upper one of an even count).
func Median[T time.Duration | float64](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// Round keeps three significant figures or so.
func Round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	case d >= time.Microsecond:
		return d.Round(10 * time.Nanosecond)
	}
	return d
}
