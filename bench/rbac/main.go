// Command rbac measures kharden's RBAC index on 50,000 generated Roles,
// ClusterRoles and bindings (rbacgen.Bench50k): the build, who-can
// latency and a million Authorize calls, five runs each, and prints the
// medians next to the targets.
//
//	go run -tags kustomize_disable_go_plugin_support ./bench/rbac
package main

import (
	"io"
	"os"

	"github.com/kharden/kharden/bench/benchutil"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	return benchutil.Run("rbac", args, stdout, stderr, "seed of the generated RBAC set", func(seed int64, runs int) (benchutil.Printer, error) {
		return measure(seed, runs)
	})
}
