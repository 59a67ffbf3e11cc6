package lab

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
)

// serviceIP is the first address of the service range: the in-cluster
// "kubernetes" Service, named in the serving certificate.
const (
	serviceRange = "10.96.0.0/12"
	serviceIP    = "10.96.0.1"
)

// UpOptions configure Up.
type UpOptions struct {
	// Assets is the directory holding etcd, kube-apiserver and
	// kube-controller-manager; "" is ErrBinariesMissing.
	Assets string
	// Encryption starts the API server with an EncryptionConfiguration that
	// encrypts Secrets (aescbc, identity as the read fallback). Once on, it
	// stays on across restarts (the state remembers it).
	Encryption bool
	// ReadyTimeout bounds the wait for /readyz (default 90s).
	ReadyTimeout time.Duration
	// Progress receives one line per step; nil discards.
	Progress io.Writer
}

// Up starts the lab, or reports that it is already up (alreadyUp true).
// A lab whose processes died partly is stopped and started again on the
// same data.
func (l *Lab) Up(ctx context.Context, opts UpOptions) (st *Status, alreadyUp bool, err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	if opts.Assets == "" || !hasBinaries(opts.Assets) {
		return nil, false, ErrBinariesMissing
	}
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = 90 * time.Second
	}
	prev, err := l.readState()
	if err != nil {
		return nil, false, err
	}
	if prev != nil {
		cur, err := l.Status(ctx)
		if err == nil && cur.Up && (!opts.Encryption || prev.Encryption) {
			return cur, true, nil
		}
		// Partly up, or encryption newly asked for: start again cleanly.
		if err := l.stopAll(prev, defaultGrace); err != nil {
			return nil, false, err
		}
	}
	for _, d := range []string{l.Dir, l.path("run"), l.path("logs"), l.path("audit"), l.etcdDataDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, false, err
		}
	}
	fmt.Fprintf(progress, "lab directory %s\n", l.Dir)
	if err := l.ensureCerts(); err != nil {
		return nil, false, fmt.Errorf("certificates: %w", err)
	}
	s := &State{Assets: opts.Assets, Processes: map[ComponentName]Process{}, Started: time.Now().UTC()}
	if prev != nil {
		s.Encryption = prev.Encryption
		// Same ports when free: etcd remembers its peer URL, and a kubeconfig
		// copied elsewhere keeps working.
		s.EtcdPort, s.EtcdPeerPort, s.APIServerPort = prev.EtcdPort, prev.EtcdPeerPort, prev.APIServerPort
	}
	s.Encryption = s.Encryption || opts.Encryption
	for _, p := range []*int{&s.EtcdPort, &s.EtcdPeerPort, &s.APIServerPort} {
		if !portFree(*p) {
			if *p, err = freePort(); err != nil {
				return nil, false, err
			}
		}
	}
	if err := l.writeFiles(s); err != nil {
		return nil, false, err
	}
	fail := func(err error) (*Status, bool, error) {
		// Nothing half-started stays behind; the logs stay for reading.
		_ = l.stopAll(s, defaultGrace)
		_ = os.Remove(l.statePath())
		return nil, false, err
	}
	fmt.Fprintf(progress, "starting etcd on 127.0.0.1:%d\n", s.EtcdPort)
	if err := l.start(s, Etcd); err != nil {
		return fail(err)
	}
	fmt.Fprintf(progress, "starting kube-apiserver on https://127.0.0.1:%d\n", s.APIServerPort)
	if err := l.start(s, APIServer); err != nil {
		return fail(err)
	}
	if err := l.writeState(s); err != nil {
		return fail(err)
	}
	if err := l.waitReady(ctx, s, opts.ReadyTimeout); err != nil {
		return fail(err)
	}
	fmt.Fprintf(progress, "starting kube-controller-manager (%s)\n", strings.Join(Controllers, ", "))
	if err := l.start(s, ControllerManager); err != nil {
		return fail(err)
	}
	if err := l.writeState(s); err != nil {
		return fail(err)
	}
	st, err = l.Status(ctx)
	if err != nil {
		return fail(err)
	}
	if !st.Up {
		return fail(fmt.Errorf("a lab process exited right after starting:\n%s", l.diagnose(s)))
	}
	return st, false, nil
}

func hasBinaries(dir string) bool {
	for _, c := range components {
		if fi, err := os.Stat(filepath.Join(dir, string(c))); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// writeFiles writes the kubeconfigs, the audit policy and (once) the
// encryption configuration.
func (l *Lab) writeFiles(s *State) error {
	if err := l.writeKubeconfig(l.KubeconfigPath(), s.APIServerPort, AdminUser, adminCert, adminKey); err != nil {
		return err
	}
	if err := l.writeKubeconfig(l.componentKubeconfig(ControllerManager), s.APIServerPort, "system:kube-controller-manager", kcmCert, kcmKey); err != nil {
		return err
	}
	if err := os.WriteFile(l.auditPolicyPath(), auditPolicy, 0o600); err != nil {
		return err
	}
	if _, err := os.Stat(l.encryptionConfigPath()); errors.Is(err, os.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return err
		}
		cfg := fmt.Sprintf(encryptionConfigTemplate, base64.StdEncoding.EncodeToString(key))
		if err := os.WriteFile(l.encryptionConfigPath(), []byte(cfg), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// args returns a component's command line.
func (l *Lab) args(s *State, c ComponentName) []string {
	switch c {
	case Etcd:
		peer := fmt.Sprintf("http://127.0.0.1:%d", s.EtcdPeerPort)
		client := fmt.Sprintf("http://127.0.0.1:%d", s.EtcdPort)
		return []string{
			"--name=lab", "--data-dir=" + l.etcdDataDir(),
			"--listen-client-urls=" + client, "--advertise-client-urls=" + client,
			"--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
			"--initial-cluster=lab=" + peer,
			// A lab, not a production store: no fsync per write keeps bulk
			// loads fast on shared disks.
			"--unsafe-no-fsync=true",
			"--log-level=warn",
		}
	case APIServer:
		a := []string{
			fmt.Sprintf("--etcd-servers=http://127.0.0.1:%d", s.EtcdPort),
			"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
			// A loopback advertise address cannot back the kubernetes
			// Service endpoints; no pod would reach them anyway.
			"--endpoint-reconciler-type=none",
			fmt.Sprintf("--secure-port=%d", s.APIServerPort),
			"--cert-dir=" + l.path("pki"),
			"--tls-cert-file=" + l.certPath(servingCert), "--tls-private-key-file=" + l.certPath(servingKey),
			"--client-ca-file=" + l.certPath(caCert),
			"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
			"--service-account-key-file=" + l.certPath(saPub),
			"--service-account-signing-key-file=" + l.certPath(saKey),
			"--service-cluster-ip-range=" + serviceRange,
			"--authorization-mode=Node,RBAC",
			"--enable-admission-plugins=NodeRestriction,PodSecurity",
			"--anonymous-auth=false",
			// Incidents need privileged pods to exist as objects.
			"--allow-privileged=true",
			"--audit-policy-file=" + l.auditPolicyPath(),
			"--audit-log-path=" + l.AuditLogPath(),
			"--audit-log-maxsize=100", "--audit-log-maxbackup=2",
			"--profiling=false",
		}
		if s.Encryption {
			a = append(a, "--encryption-provider-config="+l.encryptionConfigPath())
		}
		return a
	case ControllerManager:
		return []string{
			"--kubeconfig=" + l.componentKubeconfig(ControllerManager),
			"--controllers=" + strings.Join(Controllers, ","),
			"--service-account-private-key-file=" + l.certPath(saKey),
			"--root-ca-file=" + l.certPath(caCert),
			// Each controller acts as its own ServiceAccount, as in real
			// clusters: the bootstrap policy grants those, not the
			// manager's own identity, what the controllers do.
			"--use-service-account-credentials=true",
			"--leader-elect=false",
			"--secure-port=0",
		}
	}
	return nil
}

func (l *Lab) start(s *State, c ComponentName) error {
	bin := filepath.Join(s.Assets, string(c))
	pid, err := startDetached(bin, l.args(s, c), l.logPath(c), l.pidPath(c))
	if pid > 0 {
		s.Processes[c] = Process{PID: pid, Binary: bin, Log: l.logPath(c)}
	}
	return err
}

// waitReady polls /readyz until it answers ok, a process dies, or the
// timeout passes.
func (l *Lab) waitReady(ctx context.Context, s *State, timeout time.Duration) error {
	cfg, err := l.RestConfig()
	if err != nil {
		return err
	}
	cfg.Timeout = 5 * time.Second
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		for _, c := range []ComponentName{Etcd, APIServer} {
			if p := s.Processes[c]; !running(p.PID, p.Binary) {
				return fmt.Errorf("%s exited while starting; last lines of %s:\n%s", c, p.Log, tail(p.Log, 15))
			}
		}
		_, last = client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kube-apiserver not ready after %s: %v; last lines of %s:\n%s", timeout, last,
				l.logPath(APIServer), tail(l.logPath(APIServer), 15))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (l *Lab) diagnose(s *State) string {
	var b strings.Builder
	for _, c := range components {
		p := s.Processes[c]
		if !running(p.PID, p.Binary) {
			fmt.Fprintf(&b, "%s (log %s):\n%s\n", c, p.Log, tail(p.Log, 10))
		}
	}
	return b.String()
}

// Status describes the lab.
type Status struct {
	Dir string
	// Up is true when every process runs and the API server is ready.
	Up         bool
	Ready      bool
	Server     string
	Kubeconfig string
	AuditLog   string
	Encryption bool
	Components []ComponentStatus
}

// ComponentStatus is one process of the lab.
type ComponentStatus struct {
	Name    ComponentName
	PID     int
	Port    int // 0 when it serves nothing the user calls
	Running bool
	Log     string
}

// Status reads the lab's state and checks its processes and /readyz.
func (l *Lab) Status(ctx context.Context) (*Status, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	s, err := l.readState()
	if err != nil {
		return nil, err
	}
	st := &Status{Dir: l.Dir, Kubeconfig: l.KubeconfigPath(), AuditLog: l.AuditLogPath()}
	if s == nil {
		return st, nil
	}
	st.Encryption = s.Encryption
	st.Server = fmt.Sprintf("https://127.0.0.1:%d", s.APIServerPort)
	all := true
	for _, c := range components {
		p := s.Processes[c]
		cs := ComponentStatus{Name: c, PID: p.PID, Log: p.Log, Running: running(p.PID, p.Binary)}
		switch c {
		case Etcd:
			cs.Port = s.EtcdPort
		case APIServer:
			cs.Port = s.APIServerPort
		}
		all = all && cs.Running
		st.Components = append(st.Components, cs)
	}
	if all {
		st.Ready = l.ready(ctx)
	}
	st.Up = all && st.Ready
	return st, nil
}

func (l *Lab) ready(ctx context.Context) bool {
	cfg, err := l.RestConfig()
	if err != nil {
		return false
	}
	cfg.Timeout = 5 * time.Second
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return false
	}
	_, err = client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	return err == nil
}

// defaultGrace is how long a process has between SIGTERM and SIGKILL.
const defaultGrace = 10 * time.Second

// DownOptions configure Down.
type DownOptions struct {
	// Purge removes the lab directory (data, certificates, logs) after the
	// processes stopped.
	Purge bool
	// Grace is how long each process has after SIGTERM before SIGKILL
	// (default 10s).
	Grace time.Duration
}

// Down stops every lab process (controller manager, API server, etcd) and
// returns the pids it stopped. It is not an error when nothing runs.
func (l *Lab) Down(opts DownOptions) ([]int, error) {
	s, err := l.readState()
	if err != nil {
		return nil, err
	}
	var pids []int
	if s != nil {
		for _, p := range s.Processes {
			pids = append(pids, p.PID)
		}
		grace := opts.Grace
		if grace <= 0 {
			grace = defaultGrace
		}
		if err := l.stopAll(s, grace); err != nil {
			return pids, err
		}
		_ = os.Remove(l.statePath())
	}
	if opts.Purge {
		if err := os.RemoveAll(l.Dir); err != nil {
			return pids, err
		}
	}
	return pids, nil
}

func (l *Lab) stopAll(s *State, grace time.Duration) error {
	var errs []error
	for i := len(components) - 1; i >= 0; i-- {
		c := components[i]
		p, ok := s.Processes[c]
		if !ok {
			continue
		}
		if err := stop(p.PID, p.Binary, grace); err != nil {
			errs = append(errs, err)
		}
		_ = os.Remove(l.pidPath(c))
	}
	return errors.Join(errs...)
}

// SetEncryption restarts the API server with the lab's
// EncryptionConfiguration (new and rewritten Secrets are encrypted; the
// ones already stored stay as they are). enabled false restarts it without.
func (l *Lab) SetEncryption(ctx context.Context, enabled bool) error {
	s, err := l.readState()
	if err != nil {
		return err
	}
	if s == nil {
		return errNotUp
	}
	if s.Encryption == enabled {
		return nil
	}
	// The controller manager restarts too: one that is still setting up
	// its controllers exits when the API server goes away.
	for _, c := range []ComponentName{ControllerManager, APIServer} {
		if p, ok := s.Processes[c]; ok {
			if err := stop(p.PID, p.Binary, defaultGrace); err != nil {
				return err
			}
		}
	}
	s.Encryption = enabled
	if err := l.start(s, APIServer); err != nil {
		return err
	}
	if err := l.writeState(s); err != nil {
		return err
	}
	if err := l.waitReady(ctx, s, 90*time.Second); err != nil {
		return err
	}
	if err := l.start(s, ControllerManager); err != nil {
		return err
	}
	return l.writeState(s)
}
