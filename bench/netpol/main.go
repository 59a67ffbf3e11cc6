// Command netpol measures kharden's network analysis on netgen's benchmark
// network (10,000 workloads in 500 namespaces under 2,000 policies): the
// model build, the cluster-wide reachability summary and single explained
// reach queries, five runs each, and prints the medians next to the
// targets with their ratios.
//
//	go run -tags kustomize_disable_go_plugin_support ./bench/netpol
package main

import (
	"io"
	"os"

	"github.com/kharden/kharden/bench/benchutil"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	return benchutil.Run("netpol", args, stdout, stderr, "seed of the generated network", func(seed int64, runs int) (benchutil.Printer, error) {
		return measure(seed, runs)
	})
}
