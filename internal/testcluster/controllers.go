package testcluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// process is a child process we started ourselves (envtest starts the
// others).
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd.Wait returned
	log  *os.File
}

// stop terminates the process (SIGTERM, SIGKILL after 10s) and waits for it.
func (p *process) stop() error {
	defer p.log.Close()
	select {
	case <-p.done:
		return nil
	default:
	}
	_ = terminate(p.cmd.Process)
	select {
	case <-p.done:
		return nil
	case <-time.After(10 * time.Second):
	}
	_ = kill(p.cmd.Process)
	<-p.done
	return fmt.Errorf("%s did not stop on SIGTERM within 10s; killed", filepath.Base(p.cmd.Path))
}

// controllerWait bounds how long the controller manager takes to be
// healthy and to show its controllers work.
const controllerWait = 60 * time.Second

// startControllerManager starts kube-controller-manager with exactly
// controllers, as the admin user, signing service account tokens with the
// API server's key, and waits until it works.
func (c *Cluster) startControllerManager(assets string, controllers []string) error {
	api := c.Env.ControlPlane.GetAPIServer()
	caFile := filepath.Join(c.Dir, "apiserver-ca.crt")
	if err := os.WriteFile(caFile, api.SecureServing.CA, 0o600); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	certDir := filepath.Join(c.Dir, "kube-controller-manager")
	if err := os.MkdirAll(certDir, 0o700); err != nil {
		return err
	}
	log, err := os.OpenFile(filepath.Join(c.Dir, "kube-controller-manager.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(assets, "kube-controller-manager"),
		"--kubeconfig="+c.KubeconfigPath,
		"--controllers="+strings.Join(controllers, ","),
		"--leader-elect=false",
		// envtest names the signing key files sa-signer.{key,crt} in CertDir.
		"--service-account-private-key-file="+filepath.Join(api.CertDir, "sa-signer.key"),
		"--root-ca-file="+caFile,
		"--bind-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(port),
		"--cert-dir="+certDir,
		// Fast resyncs make the controllers react within the tests' patience.
		"--min-resync-period=10s",
		"--v=2",
	)
	cmd.Stdout, cmd.Stderr = log, log
	// Its own process group, as envtest does for its processes: a ^C in the
	// terminal reaches the test binary only, which stops the cluster in
	// order through the cleanups.
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return fmt.Errorf("starting kube-controller-manager: %w", err)
	}
	p := &process{cmd: cmd, done: make(chan struct{}), log: log}
	go func() { _ = cmd.Wait(); close(p.done) }()
	c.kcm = p

	health := fmt.Sprintf("https://127.0.0.1:%d/healthz", port)
	// The controller manager serves a self-signed certificate.
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	err = waitFor(controllerWait, func(ctx context.Context) (bool, error) {
		select {
		case <-p.done:
			return false, errors.New("kube-controller-manager exited")
		default:
		}
		res, err := hc.Get(health)
		if err != nil {
			return false, nil
		}
		_ = res.Body.Close()
		return res.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		return fmt.Errorf("kube-controller-manager not healthy: %w", err)
	}
	return c.waitControllersWork(controllers)
}

// waitControllersWork waits for a visible effect of the controllers tests
// rely on most, so that a test does not race the informers' first sync.
func (c *Cluster) waitControllersWork(controllers []string) error {
	has := func(names ...string) bool {
		return slices.ContainsFunc(controllers, func(s string) bool { return slices.Contains(names, s) })
	}
	if has("serviceaccount", "serviceaccount-controller") {
		err := waitFor(controllerWait, func(ctx context.Context) (bool, error) {
			_, err := c.Client.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
			return err == nil, nil
		})
		if err != nil {
			return fmt.Errorf("serviceaccount controller did not create default/default: %w", err)
		}
	}
	if has("clusterrole-aggregation", "clusterrole-aggregation-controller") {
		// The bootstrap "admin" ClusterRole is aggregated from
		// "edit" and friends: it has rules once the controller ran.
		err := waitFor(controllerWait, func(ctx context.Context) (bool, error) {
			cr, err := c.Client.RbacV1().ClusterRoles().Get(ctx, "admin", metav1.GetOptions{})
			return err == nil && len(cr.Rules) > 0, nil
		})
		if err != nil {
			return fmt.Errorf("clusterrole-aggregation controller did not fill ClusterRole admin: %w", err)
		}
	}
	return nil
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
