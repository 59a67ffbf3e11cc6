package testcluster

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// clusterProcesses lists the live processes (pid -> program) that belong
// to the cluster in dir: the children of this test binary named like a
// cluster binary, and any process whose command line mentions dir (which
// catches them even once orphaned and adopted by init).
func clusterProcesses(t *testing.T, dir string) map[int]string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	self := os.Getpid()
	found := map[int]string{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		s := string(stat)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		comm := s[open+1 : end]
		fields := strings.Fields(s[end+1:])
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		prog := comm
		if args[0] != "" {
			prog = filepath.Base(args[0])
		}
		ours := ppid == self && (strings.HasPrefix(comm, "kube-") || comm == "etcd")
		if ours || strings.Contains(string(cmdline), dir) {
			found[pid] = prog + " (" + fields[0] + ")" // with its state: Z is a zombie
		}
	}
	return found
}

// TestAnonymousOnAndNoProcessLeftBehind starts a cluster with anonymous
// requests allowed and a controller manager, in a subtest, and checks that
// nothing of it runs once the subtest is over.
func TestAnonymousOnAndNoProcessLeftBehind(t *testing.T) {
	var dir string
	t.Run("cluster", func(t *testing.T) {
		c := Start(t, Options{AnonymousAuth: true, Controllers: []string{"clusterrole-aggregation"}})
		dir = c.Dir

		res := anonymousGet(t, c.Config, "/api/v1/namespaces")
		var status metav1.Status
		_ = json.NewDecoder(res.Body).Decode(&status)
		if res.StatusCode != 403 || !strings.Contains(status.Message, `User "system:anonymous"`) {
			t.Errorf("anonymous GET /api/v1/namespaces: %d %q; want 403 for system:anonymous", res.StatusCode, status.Message)
		}
		// system:public-info-viewer lets anyone read /version.
		if got := anonymousGet(t, c.Config, "/version").StatusCode; got != 200 {
			t.Errorf("anonymous GET /version: %d, want 200", got)
		}

		running := clusterProcesses(t, dir)
		for _, want := range []string{"kube-apiserver", "etcd", "kube-controller-manager"} {
			found := false
			for _, p := range running {
				found = found || strings.HasPrefix(p, want+" ")
			}
			if !found {
				t.Errorf("%s not seen running (processes: %v)", want, running)
			}
		}
	})
	if dir == "" {
		t.Skip("no cluster started")
	}
	if left := clusterProcesses(t, dir); len(left) > 0 {
		t.Errorf("processes left after the test: %v", left)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cluster directory %s not removed: %v", dir, err)
	}
}
