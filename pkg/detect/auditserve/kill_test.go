package auditserve

import (
	"bytes"
	"context"
	"encoding/json"

	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// killChildEnv switches the test binary into a serve process (for the
// kill -9 test); its value is the JSON of killChildConfig.
const killChildEnv = "KHARDEN_AUDITSERVE_CHILD"

type killChildConfig struct {
	Address, TLSCertFile, TLSKeyFile, SpoolDir, ArchiveDir string
	SpoolMaxBytes                                          int64
	RetryAfter                                             time.Duration
	// SlowConsumer makes each batch take this long to analyse, so that a
	// backlog is in the spool when the process is killed.
	SlowConsumer time.Duration
}

func TestMain(m *testing.M) {
	if cfg := os.Getenv(killChildEnv); cfg != "" {
		os.Exit(killChildMain(cfg))
	}
	os.Exit(m.Run())
}

// killChildMain runs a server until SIGTERM.
func killChildMain(raw string) int {
	var cfg killChildConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	s, err := New(Options{Address: cfg.Address, TLSCertFile: cfg.TLSCertFile, TLSKeyFile: cfg.TLSKeyFile,
		SpoolDir: cfg.SpoolDir, ArchiveDir: cfg.ArchiveDir, SpoolMaxBytes: cfg.SpoolMaxBytes, RetryAfter: cfg.RetryAfter,
		Alerts: io.Discard, Log: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if cfg.SlowConsumer > 0 {
		s.analysed = func(string) { time.Sleep(cfg.SlowConsumer) }
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := s.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// killChild is a serve process of the test binary.
type killChild struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
}

func startKillChild(t *testing.T, cfg killChildConfig) *killChild {
	t.Helper()
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := &killChild{stderr: &syncBuffer{}}
	c.cmd = exec.Command(os.Args[0], "-test.run=^$")
	c.cmd.Env = append(os.Environ(), killChildEnv+"="+string(raw))
	c.cmd.Stderr = c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			_ = c.cmd.Process.Kill()
			_ = c.cmd.Wait()
		}
	})
	return c
}

// freeAddress finds a port the child can listen on again after a restart.
func freeAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Kill -9 the serve process twice while clients post numbered events
// concurrently, the way the webhook backend does (retrying connection
// errors and 429s): every event of a batch that got a 200 is analysed
// after the restarts — archived batches are analysed ones — none lost.
func TestServeKill9LosesNoAcknowledgedEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	certs := newServeCerts(t)
	base := t.TempDir()
	addr := freeAddress(t)
	cfg := killChildConfig{Address: addr, TLSCertFile: certs.Cert, TLSKeyFile: certs.Key,
		SpoolDir: filepath.Join(base, "spool"), ArchiveDir: filepath.Join(base, "archive"),
		SpoolMaxBytes: 256 << 10, RetryAfter: time.Second, SlowConsumer: 15 * time.Millisecond}
	url := "https://" + addr + "/audit"
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: certs.clientTLS(t, false)}}

	const clients, batchesPerClient, eventsPerBatch = 4, 60, 25
	var mu sync.Mutex
	acked := map[string]bool{}
	var retries, tooMany int
	var ackedBatches int
	post := func(body []byte) bool {
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			return false
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			mu.Lock()
			tooMany++
			mu.Unlock()
		}
		return resp.StatusCode == http.StatusOK
	}

	child := startKillChild(t, cfg)
	var wg sync.WaitGroup
	now := time.Now().UTC()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batchesPerClient {
				var evs []map[string]any
				var ids []string
				for e := range eventsPerBatch {
					id := fmt.Sprintf("c%d-b%03d-e%02d", c, b, e)
					ids = append(ids, id)
					evs = append(evs, serveEvent(id, "client", "get", "pods", "", "ns", id, now))
				}
				body := serveList(t, evs...)
				deadline := time.Now().Add(60 * time.Second)
				for !post(body) {
					if time.Now().After(deadline) {
						t.Errorf("batch %d of client %d never accepted", b, c)
						return
					}
					mu.Lock()
					retries++
					mu.Unlock()
					time.Sleep(100 * time.Millisecond)
				}
				mu.Lock()
				for _, id := range ids {
					acked[id] = true
				}
				ackedBatches++
				mu.Unlock()
			}
		}()
	}

	ackedAt := func() int { mu.Lock(); defer mu.Unlock(); return ackedBatches }
	kills := 0
	for _, at := range []int{clients * batchesPerClient / 4, clients * batchesPerClient / 2} {
		waitServe(t, 60*time.Second, fmt.Sprintf("%d acknowledged batches", at), func() bool { return ackedAt() >= at })
		spooled, _ := os.ReadDir(cfg.SpoolDir)
		if err := child.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = child.cmd.Wait()
		kills++
		t.Logf("kill -9 #%d after %d acknowledged batches, %d files in the spool", kills, ackedAt(), len(spooled))
		time.Sleep(300 * time.Millisecond) // clients see refused connections
		child = startKillChild(t, cfg)
	}
	wg.Wait()
	waitServe(t, 60*time.Second, "the spool to drain", func() bool {
		entries, _ := os.ReadDir(cfg.SpoolDir)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), spoolSuffix) {
				return false
			}
		}
		return true
	})
	if err := child.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := child.cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v\n%s", err, child.stderr.String())
	}

	analysed := map[string]int{}
	archived, err := os.ReadDir(cfg.ArchiveDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range archived {
		var list struct {
			Items []struct {
				AuditID string `json:"auditID"`
			} `json:"items"`
		}
		b, err := os.ReadFile(filepath.Join(cfg.ArchiveDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &list); err != nil {
			t.Fatalf("archived batch %s: %v", e.Name(), err)
		}
		for _, it := range list.Items {
			analysed[it.AuditID]++
		}
	}
	var lost, again, unacked int
	for id := range acked {
		if analysed[id] == 0 {
			lost++
		}
	}
	for id, n := range analysed {
		if n > 1 {
			again++
		}
		if !acked[id] {
			unacked++
		}
	}
	t.Logf("kills %d; acknowledged events %d (batches %d); analysed %d distinct; re-analysed %d; analysed but never acknowledged %d; client retries %d (429s %d)",
		kills, len(acked), ackedBatches, len(analysed), again, unacked, retries, tooMany)
	if len(acked) != clients*batchesPerClient*eventsPerBatch {
		t.Errorf("acknowledged %d events, want %d", len(acked), clients*batchesPerClient*eventsPerBatch)
	}
	if lost > 0 {
		t.Errorf("%d acknowledged events lost", lost)
	}
	if kills != 2 {
		t.Errorf("kills %d", kills)
	}
}
