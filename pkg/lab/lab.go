// Package lab runs a local Kubernetes control plane for people: etcd,
// kube-apiserver and kube-controller-manager started from the cached cluster
// binaries as background processes that outlive the command that started
// them, with generated certificates, RBAC + Node authorisation, Pod Security
// admission, an audit log, and an admin kubeconfig. Scenarios load the
// incidents kharden must catch into it.
//
// Everything lives in one directory (DefaultDir): certificates, the etcd
// data, pid files, logs, the audit log, the kubeconfig and state.json.
package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// ErrBinariesMissing is returned by Up when the cluster binaries are not
// built; its text is the one line a user needs.
var ErrBinariesMissing = errors.New("cluster binaries not built: run hack/cluster-binaries.sh (or make cluster-binaries)")

// DirEnv names the environment variable that overrides the lab directory.
const DirEnv = "KHARDEN_LAB_DIR"

// DefaultDir returns $KHARDEN_LAB_DIR, else ~/.cache/kharden/lab (the user
// cache directory when the home directory is unknown).
func DefaultDir() string {
	if d := os.Getenv(DirEnv); d != "" {
		return d
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".cache", "kharden", "lab")
	}
	if c, err := os.UserCacheDir(); err == nil {
		return filepath.Join(c, "kharden", "lab")
	}
	return filepath.Join(os.TempDir(), "kharden-lab")
}

// ComponentName names a lab process.
type ComponentName string

// The lab's processes, in start order.
const (
	Etcd              ComponentName = "etcd"
	APIServer         ComponentName = "kube-apiserver"
	ControllerManager ComponentName = "kube-controller-manager"
)

// components lists the processes in start order; Down stops them in reverse.
var components = []ComponentName{Etcd, APIServer, ControllerManager}

// Controllers are the kube-controller-manager controllers the lab runs: the
// ones whose effects kharden's rules read (aggregated ClusterRoles, default
// ServiceAccounts and their tokens, namespace deletion).
var Controllers = []string{"clusterrole-aggregation", "serviceaccount", "serviceaccount-token", "namespace"}

// Lab is a lab directory. Its methods are safe to call from separate
// processes one after the other (not concurrently).
type Lab struct {
	Dir string
}

// Open returns the lab in dir ("" means DefaultDir()).
func Open(dir string) *Lab {
	if dir == "" {
		dir = DefaultDir()
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return &Lab{Dir: dir}
}

// Paths inside the lab directory.
func (l *Lab) path(elem ...string) string { return filepath.Join(append([]string{l.Dir}, elem...)...) }

// KubeconfigPath is the admin kubeconfig (cluster-admin through system:masters).
func (l *Lab) KubeconfigPath() string { return l.path("kubeconfig") }

// AuditLogPath is the API server's audit log (audit.k8s.io/v1 JSON lines).
func (l *Lab) AuditLogPath() string { return l.path("audit", "audit.log") }

// ScenarioDir is where a scenario writes the log files it needs.
func (l *Lab) ScenarioDir(name string) string { return l.path("scenarios", name) }

func (l *Lab) statePath() string              { return l.path("state.json") }
func (l *Lab) pidPath(c ComponentName) string { return l.path("run", string(c)+".pid") }
func (l *Lab) logPath(c ComponentName) string { return l.path("logs", string(c)+".log") }
func (l *Lab) certPath(name string) string    { return l.path("pki", name) }
func (l *Lab) etcdDataDir() string            { return l.path("etcd") }
func (l *Lab) encryptionConfigPath() string   { return l.path("encryption-config.yaml") }
func (l *Lab) auditPolicyPath() string        { return l.path("audit", "policy.yaml") }
func (l *Lab) componentKubeconfig(c ComponentName) string {
	return l.path("run", string(c)+".kubeconfig")
}

// State is what `lab up` recorded in state.json: enough for status and down
// to find the processes again from another command.
type State struct {
	// Assets is the directory the binaries were started from.
	Assets string `json:"assets"`
	// EtcdPort, EtcdPeerPort and APIServerPort are loopback ports.
	EtcdPort      int `json:"etcdPort"`
	EtcdPeerPort  int `json:"etcdPeerPort"`
	APIServerPort int `json:"apiServerPort"`
	// Encryption tells whether the API server runs with an
	// EncryptionConfiguration for Secrets.
	Encryption bool `json:"encryption"`
	// Processes are the started processes by component.
	Processes map[ComponentName]Process `json:"processes"`
	Started   time.Time                 `json:"started"`
}

// Process is one started lab process.
type Process struct {
	PID    int    `json:"pid"`
	Binary string `json:"binary"`
	Log    string `json:"log"`
}

func (l *Lab) readState() (*State, error) {
	data, err := os.ReadFile(l.statePath())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("lab state %s: %w", l.statePath(), err)
	}
	if s.Processes == nil {
		s.Processes = map[ComponentName]Process{}
	}
	return &s, nil
}

func (l *Lab) writeState(s *State) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := l.statePath() + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, l.statePath())
}
