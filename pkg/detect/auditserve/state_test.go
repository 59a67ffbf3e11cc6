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
