//go:build !unix

package testcluster

import (
	"os"
	"syscall"
)

// procAttr has nothing to set where there are no process groups.
func procAttr() *syscall.SysProcAttr { return nil }

// terminate stops the child (no graceful signal on these systems).
func terminate(p *os.Process) error { return p.Kill() }

// kill stops the child.
func kill(p *os.Process) error { return p.Kill() }
