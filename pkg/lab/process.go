package lab

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// startDetached starts a binary in its own session (setsid) so that it
// outlives the command and a terminal hang-up, with stdin from /dev/null and
// stdout and stderr appended to logPath. It returns the pid.
func startDetached(bin string, args []string, logPath, pidPath string) (int, error) {
	for _, d := range []string{filepath.Dir(logPath), filepath.Dir(pidPath)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return 0, err
		}
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return 0, err
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "---- %s %s %s\n", time.Now().Format(time.RFC3339), bin, strings.Join(args, " "))
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile // *os.File: handed over, no copying goroutine
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting %s: %w", filepath.Base(bin), err)
	}
	pid := cmd.Process.Pid
	_ = cmd.Process.Release()
	if err := os.WriteFile(pidPath, []byte(strconv.Itoa(pid)+"\n"), 0o600); err != nil {
		return pid, err
	}
	return pid, nil
}

// running tells whether pid is a live (not zombie) process running bin: the
// binary check keeps a recycled pid from being taken for a lab process.
func running(pid int, bin string) bool {
	if pid <= 0 {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name, which may hold spaces.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return false
	}
	if stat[i+2] == 'Z' {
		// A zombie leader of a thread group is not waitable until its
		// last thread exits: while it is our child and not yet reaped, it
		// still counts as running, so that nothing is left in /proc.
		return !reap(pid)
	}
	if bin == "" {
		return true
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		// Not ours to inspect: trust the pid only if the name matches.
		return bytes.Contains(stat, []byte("("+truncComm(filepath.Base(bin))+")"))
	}
	exe = strings.TrimSuffix(exe, " (deleted)")
	return exe == bin || filepath.Base(exe) == filepath.Base(bin)
}

// truncComm is the kernel's 15-byte command name.
func truncComm(s string) string {
	if len(s) > 15 {
		return s[:15]
	}
	return s
}

// reap collects pid's exit status when it is a child of this process (tests
// run up and down in one process). It returns false only for a child that
// has not finished exiting; a process that is not ours is someone else's to
// reap.
func reap(pid int) bool {
	var ws syscall.WaitStatus
	got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
	return err != nil || got == pid
}

// stop sends SIGTERM to the process group of pid (the process leads its own
// session), waits up to grace, then sends SIGKILL and waits again.
func stop(pid int, bin string, grace time.Duration) error {
	if !running(pid, bin) {
		return nil
	}
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	_ = syscall.Kill(pid, syscall.SIGTERM)
	if waitGone(pid, bin, grace) {
		return nil
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	_ = syscall.Kill(pid, syscall.SIGKILL)
	if waitGone(pid, bin, 5*time.Second) {
		return nil
	}
	return fmt.Errorf("process %d (%s) did not stop", pid, filepath.Base(bin))
}

func waitGone(pid int, bin string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if !running(pid, bin) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freePort asks the kernel for a free loopback port. Another process may
// take it before the lab binds it; Up then fails with the component's log.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// portFree tells whether a loopback port can be bound now.
func portFree(port int) bool {
	if port <= 0 {
		return false
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// tail returns the last n lines of a log file, for error messages.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

var errNotUp = errors.New("the lab is not up: run `kharden lab up`")
