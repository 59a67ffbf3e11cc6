// Command kharden scans Kubernetes manifests and clusters for security
// hardening gaps. Installed as kubectl-harden it is also `kubectl harden`.
package main

import (
	"os"

	"github.com/kharden/kharden/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args, os.Stdin, os.Stdout, os.Stderr)) }
