// Command rbac measures kharden's RBAC index on 50,000 generated Roles,
// ClusterRoles and bindings (rbacgen.Bench50k): the build, who-can
// latency and a million Authorize calls, five runs each, and prints the
// medians next to the targets.
//
//	go run -tags kustomize_disable_go_plugin_support ./bench/rbac
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rbac", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("runs", 5, "runs of each measurement (the median is printed)")
	seed := fs.Int64("seed", 1, "seed of the generated RBAC set")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *runs < 1 {
		fmt.Fprintln(stderr, "bench/rbac: -runs must be at least 1")
		return 2
	}
	res, err := measure(*seed, *runs)
	if err != nil {
		fmt.Fprintln(stderr, "bench/rbac:", err)
		return 1
	}
	res.print(stdout)
	return 0
}
