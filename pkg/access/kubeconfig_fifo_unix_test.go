//go:build unix

package access

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKubeconfigCertificateFIFO: a client-certificate naming a FIFO is
// refused without opening it (opening would block until a writer came).
func TestKubeconfigCertificateFIFO(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "cert.fifo"), 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := AuditKubeconfig(filepath.Join(dir, "config"), []byte("users:\n- name: a\n  user: {client-certificate: cert.fifo}\n"), kcNow)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("error %v, want not a regular file", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the audit blocked on a FIFO")
	}
}
