package auditserve

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// What the detectors learnt is written at shutdown beside the spool and
// read back by the next start on the same spool.
func TestServeKeepsDetectorStateAcrossRestarts(t *testing.T) {
	certs := newServeCerts(t)
	spool := filepath.Join(t.TempDir(), "spool")
	edit := func(o *Options) { o.SpoolDir = spool }
	h := startServe(t, certs, edit, nil)
	now := time.Now().UTC()
	body := serveList(t, serveEvent("s-1", "alice", "get", "secrets", "", "shop", "db", now))
	if resp := h.post(t, "/", body); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST: %s", resp.Status)
	}
	waitServe(t, 10*time.Second, "the batch analysed", func() bool {
		_, m := h.get(t, "/metrics")
		return metricValue(m, "kharden_audit_events_analysed_total") == "1"
	})
	h.shutdown()
	data, err := os.ReadFile(spool + ".state.json")
	if err != nil {
		t.Fatalf("no state file after shutdown: %v", err)
	}
	var st struct {
		Version   int                        `json:"version"`
		Detectors map[string]json.RawMessage `json:"detectors"`
	}
	if err := json.Unmarshal(data, &st); err != nil || st.Version != 1 || !strings.Contains(string(st.Detectors["audit-secret-access-unusual"]), "alice") {
		t.Fatalf("state file: %v %s", err, data)
	}
	h2 := startServe(t, certs, edit, nil)
	waitServe(t, 10*time.Second, "the state loaded", func() bool { return strings.Contains(h2.log.String(), "detector state loaded") })

	// An unusable state file is reported and ignored: the server starts.
	h2.shutdown()
	if err := os.WriteFile(spool+".state.json", []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	h3 := startServe(t, certs, edit, nil)
	waitServe(t, 10*time.Second, "the bad state reported", func() bool { return strings.Contains(h3.log.String(), "invalid character") })
	if code, _ := h3.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz after a bad state file: %d", code)
	}
}

// A crash after a batch was analysed but before it left the spool: the
// state saved with it names the batch, and the next start removes it
// without counting it twice; any other batch left behind is analysed.
func TestServeDoesNotCountTheLastBatchTwice(t *testing.T) {
	certs := newServeCerts(t)
	base := t.TempDir()
	spool, archive := filepath.Join(base, "spool"), filepath.Join(base, "archive")
	edit := func(o *Options) { o.SpoolDir, o.ArchiveDir = spool, archive }
	h := startServe(t, certs, edit, nil)
	now := time.Now().UTC()
	for i, user := range []string{"alice", "bob"} {
		body := serveList(t, serveEvent("s-"+user, user, "get", "secrets", "", "shop", "db", now))
		if resp := h.post(t, "/", body); resp.StatusCode != http.StatusOK {
			t.Fatalf("POST: %s", resp.Status)
		}
		want := string(rune('1' + i))
		waitServe(t, 10*time.Second, "the batch analysed", func() bool {
			_, m := h.get(t, "/metrics")
			return metricValue(m, "kharden_audit_events_analysed_total") == want
		})
	}
	h.shutdown()
	var st struct {
		Mark string `json:"mark"`
	}
	data, err := os.ReadFile(spool + ".state.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &st); err != nil || st.Mark == "" {
		t.Fatalf("no mark in the state: %v %s", err, data)
	}
	archived, err := os.ReadDir(archive)
	if err != nil || len(archived) != 2 {
		t.Fatalf("archive: %v %v", archived, err)
	}
	// Both batches back in the spool, as if their removal had been lost in
	// a crash: only the marked one (the last analysed, whose counts the
	// state is known to hold) is skipped; the other is analysed again (at
	// least once).
	for _, e := range archived {
		b, err := os.ReadFile(filepath.Join(archive, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(spool, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(archive, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	h2 := startServe(t, certs, edit, nil)
	waitServe(t, 10*time.Second, "the spool drained", func() bool {
		entries, _ := os.ReadDir(spool)
		return len(entries) == 0
	})
	_, m := h2.get(t, "/metrics")
	if got := metricValue(m, "kharden_audit_events_analysed_total"); got != "1" {
		t.Errorf("events analysed after the restart = %s, want 1 (the marked batch skipped, the other analysed again)", got)
	}
	if !strings.Contains(h2.log.String(), st.Mark+" was analysed before the restart") {
		t.Errorf("the skipped batch is not logged:\n%s", h2.log.String())
	}
	if entries, _ := os.ReadDir(archive); len(entries) != 2 {
		t.Errorf("archive after the restart holds %d batches, want 2", len(entries))
	}
}
