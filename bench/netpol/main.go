// Command netpol measures kharden's network analysis on netgen's benchmark
// network (10,000 workloads in 500 namespaces under 2,000 policies): the
// model build, the cluster-wide reachability summary and single explained
// reach queries, five runs each, and prints the medians next to the
// targets with their ratios.
//
//	go run -tags kustomize_disable_go_plugin_support ./bench/netpol
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("netpol", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("runs", 5, "runs of each measurement (the median is printed)")
	seed := fs.Int64("seed", 1, "seed of the generated network")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *runs < 1 {
		fmt.Fprintln(stderr, "bench/netpol: -runs must be at least 1")
		return 2
	}
	res, err := measure(*seed, *runs)
	if err != nil {
		fmt.Fprintln(stderr, "bench/netpol:", err)
		return 1
	}
	res.print(stdout)
	return 0
}
