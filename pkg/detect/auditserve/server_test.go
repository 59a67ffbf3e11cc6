package auditserve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kharden/kharden/pkg/finding"
)

// serveEvent is one audit.k8s.io/v1 event as the webhook backend sends it.
func serveEvent(id, user, verb, resource, subresource, ns, name string, at time.Time) map[string]any {
	obj := map[string]any{"resource": resource, "namespace": ns, "name": name, "apiVersion": "v1"}
	if subresource != "" {
		obj["subresource"] = subresource
	}
	return map[string]any{
		"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": id,
		"stage": "ResponseComplete", "verb": verb, "requestURI": "/api/v1/namespaces/" + ns + "/" + resource + "/" + name,
		"user": map[string]any{"username": user, "groups": []string{"system:authenticated"}}, "sourceIPs": []string{"10.0.0.7"},
		"userAgent": "kubectl/v1.33", "objectRef": obj, "responseStatus": map[string]any{"code": 101},
		"requestReceivedTimestamp": at.Format(time.RFC3339Nano), "stageTimestamp": at.Add(time.Millisecond).Format(time.RFC3339Nano),
		"annotations": map[string]any{"authorization.k8s.io/decision": "allow"},
	}
}

// serveList renders events as an EventList body.
func serveList(t testing.TB, events ...map[string]any) []byte {
	t.Helper()
	items := events
	if items == nil {
		items = []map[string]any{}
	}
	b, err := json.Marshal(map[string]any{"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": map[string]any{}, "items": items})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// syncBuffer is a bytes.Buffer safe for the consumer and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serveHarness is an in-process server on a random port.
type serveHarness struct {
	srv    *Server
	url    string
	client *http.Client
	certs  *serveCerts
	alerts *syncBuffer
	log    *syncBuffer
	stop   context.CancelFunc
	done   chan error
}

func startServe(t *testing.T, certs *serveCerts, edit func(*Options), before func(*Server)) *serveHarness {
	t.Helper()
	if certs == nil {
		certs = newServeCerts(t)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &serveHarness{certs: certs, alerts: &syncBuffer{}, log: &syncBuffer{}, done: make(chan error, 1)}
	opts := Options{Listener: ln, TLSCertFile: certs.Cert, TLSKeyFile: certs.Key, SpoolDir: filepath.Join(t.TempDir(), "spool"),
		Alerts: h.alerts, Log: h.log}
	if edit != nil {
		edit(&opts)
	}
	h.srv, err = New(opts)
	if err != nil {
		_ = ln.Close()
		t.Fatal(err)
	}
	if before != nil {
		before(h.srv)
	}
	h.url = "https://" + ln.Addr().String()
	h.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: certs.clientTLS(t, true)}}
	ctx, cancel := context.WithCancel(context.Background())
	h.stop = cancel
	go func() { h.done <- h.srv.Run(ctx) }()
	t.Cleanup(h.shutdown)
	return h
}

func (h *serveHarness) shutdown() {
	if h.stop == nil {
		return
	}
	h.stop()
	h.stop = nil
	<-h.done
}

func (h *serveHarness) post(t testing.TB, path string, body []byte) *http.Response {
	t.Helper()
	resp, err := h.client.Post(h.url+path, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp
}

func (h *serveHarness) get(t testing.TB, path string) (int, string) {
	t.Helper()
	resp, err := h.client.Get(h.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitServe polls cond for up to timeout.
func waitServe(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// metricValue reads one sample from /metrics text ("name{labels} value").
func metricValue(body, sample string) string {
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			return v
		}
	}
	return ""
}

func TestServeAcceptsBatchesAndAlerts(t *testing.T) {
	h := startServe(t, nil, func(o *Options) {
		o.Team = func(ns string) string {
			if ns == "payments" {
				return "team-pay"
			}
			return ""
		}
	}, nil)
	now := time.Now().UTC()
	for i, path := range []string{"/", "/audit", "/any/path"} {
		body := serveList(t, serveEvent(fmt.Sprintf("exec-%d", i), "mallory", "create", "pods", "exec", "payments", fmt.Sprintf("api-%d", i), now))
		if resp := h.post(t, path, body); resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: %s", path, resp.Status)
		}
	}
	waitServe(t, 10*time.Second, "three exec alerts", func() bool { return strings.Count(h.alerts.String(), "\n") >= 3 })
	for _, line := range strings.Split(strings.TrimSpace(h.alerts.String()), "\n") {
		var f finding.Finding
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("alert line is not a finding: %v: %s", err, line)
		}
		if f.Rule != "audit-exec-into-pod" || f.Object.Namespace != "payments" || f.Detection == nil || len(f.Detection.Events) != 1 {
			t.Errorf("alert = %s", line)
		}
	}
	// Alerts are raised while a batch is analysed, before its spool file is
	// removed: wait for the consumer to finish with the last one.
	var code int
	var metrics string
	waitServe(t, 10*time.Second, "an empty spool", func() bool {
		code, metrics = h.get(t, "/metrics")
		return code == http.StatusOK && metricValue(metrics, "kharden_audit_spool_files") == "0" &&
			metricValue(metrics, "kharden_audit_events_analysed_total") == "3"
	})
	for sample, want := range map[string]string{
		"kharden_audit_events_received_total":                                                           "3",
		"kharden_audit_events_analysed_total":                                                           "3",
		`kharden_audit_batches_total{result="accepted"}`:                                                "3",
		`kharden_audit_findings_total{namespace="payments",rule="audit-exec-into-pod",team="team-pay"}`: "3",
		"kharden_audit_spool_files":                                                                     "0",
	} {
		if got := metricValue(metrics, sample); got != want {
			t.Errorf("%s = %q, want %q", sample, got, want)
		}
	}
	if code, _ := h.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d", code)
	}
	if code, _ := h.get(t, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz: %d", code)
	}
	entries, _ := os.ReadDir(h.srv.spool.Dir())
	if len(entries) != 0 {
		t.Errorf("spool not empty after analysis: %v", entries)
	}
}

func TestServeRejectsBadBatches(t *testing.T) {
	h := startServe(t, nil, func(o *Options) { o.MaxBodyBytes = 2048 }, nil)
	big := serveList(t, serveEvent(strings.Repeat("x", 4096), "a", "get", "pods", "", "ns", "p", time.Now()))
	for _, tc := range []struct {
		name string
		body []byte
		want int
	}{
		{"too large", big, http.StatusRequestEntityTooLarge},
		{"not JSON", []byte("{\"items\": [tru"), http.StatusBadRequest},
		{"items not a list", []byte(`{"items": 3}`), http.StatusBadRequest},
		{"a JSON array", []byte(`[1]`), http.StatusBadRequest},
	} {
		if resp := h.post(t, "/", tc.body); resp.StatusCode != tc.want {
			t.Errorf("%s: %s, want %d", tc.name, resp.Status, tc.want)
		}
	}
	resp, err := h.client.Get(h.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /: %s", resp.Status)
	}
	_, metrics := h.get(t, "/metrics")
	if got := metricValue(metrics, `kharden_audit_batches_total{result="too_large"}`); got != "1" {
		t.Errorf("too_large = %q", got)
	}
	if got := metricValue(metrics, `kharden_audit_batches_total{result="invalid"}`); got != "3" {
		t.Errorf("invalid = %q", got)
	}
}

func TestServeClientCertificateRequired(t *testing.T) {
	certs := newServeCerts(t)
	h := startServe(t, certs, func(o *Options) { o.ClientCAFile = certs.CA }, nil)
	anon := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: certs.clientTLS(t, false)}}
	resp, err := anon.Post(h.url+"/", "application/json", bytes.NewReader(serveList(t)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("without a client certificate: %s, want 403", resp.Status)
	}
	// Probes need no certificate.
	resp, err = anon.Get(h.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz without a client certificate: %s", resp.Status)
	}
	if resp := h.post(t, "/", serveList(t)); resp.StatusCode != http.StatusOK {
		t.Errorf("with the client certificate: %s", resp.Status)
	}
}

// The 429 path: a full spool refuses, with Retry-After, until the
// consumer drains it.
func TestServeSpoolFull(t *testing.T) {
	h := startServe(t, nil, func(o *Options) { o.SpoolMaxBytes = 600; o.RetryAfter = 2 * time.Second },
		func(s *Server) { s.pause() })
	now := time.Now().UTC()
	first := serveList(t, serveEvent("e-1", "alice", "get", "pods", "", "ns", "p1", now))
	if resp := h.post(t, "/", first); resp.StatusCode != http.StatusOK {
		t.Fatalf("first batch: %s", resp.Status)
	}
	second := serveList(t, serveEvent("e-2", "alice", "get", "pods", "", "ns", "p2", now))
	resp := h.post(t, "/", second)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "2" {
		t.Fatalf("second batch into a full spool: %s, Retry-After %q; want 429 and 2", resp.Status, resp.Header.Get("Retry-After"))
	}
	h.srv.resume()
	waitServe(t, 10*time.Second, "the spool to drain", func() bool { _, n := h.srv.spool.Usage(); return n == 0 })
	if resp := h.post(t, "/", second); resp.StatusCode != http.StatusOK {
		t.Fatalf("second batch after draining: %s", resp.Status)
	}
	_, metrics := h.get(t, "/metrics")
	if got := metricValue(metrics, `kharden_audit_batches_total{result="spool_full"}`); got != "1" {
		t.Errorf("spool_full = %q", got)
	}
}

// Batches left in the spool are analysed first on start-up; undecodable
// ones are quarantined without blocking the rest.
func TestServeRecoversSpoolAndQuarantines(t *testing.T) {
	certs := newServeCerts(t)
	dir := filepath.Join(t.TempDir(), "spool")
	archive := filepath.Join(t.TempDir(), "archive")
	sp, err := OpenSpool(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for _, b := range [][]byte{
		serveList(t, serveEvent("left-1", "mallory", "create", "pods", "exec", "prod", "a", now)),
		[]byte(`{"kind":"EventList","items":[{"kind":"Event","apiVersion":"audit.k8s.io/v9"}]}`),
		serveList(t, serveEvent("left-2", "mallory", "create", "pods", "exec", "prod", "b", now)),
	} {
		if err := sp.Put(b); err != nil {
			t.Fatal(err)
		}
	}
	// An unfinished write from a crash: never acknowledged, removed.
	writeServeFile(t, filepath.Join(dir, tmpPrefix+"00000000000000000001.json"), []byte("{"))
	var order []string
	var mu sync.Mutex
	h := startServe(t, certs, func(o *Options) { o.SpoolDir = dir; o.ArchiveDir = archive }, func(s *Server) {
		s.analysed = func(name string) { mu.Lock(); order = append(order, name); mu.Unlock() }
	})
	waitServe(t, 10*time.Second, "the left-over batches", func() bool { _, n := h.srv.spool.Usage(); return n == 0 })
	h.shutdown()
	if len(order) != 2 || order[0] > order[1] {
		t.Errorf("analysed %v, want two batches in arrival order", order)
	}
	archived, _ := os.ReadDir(archive)
	quarantined, _ := os.ReadDir(dir + ".quarantine")
	if len(archived) != 2 || len(quarantined) != 1 {
		t.Errorf("archived %d, quarantined %d; want 2 and 1", len(archived), len(quarantined))
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("spool holds %v", left)
	}
	if n := strings.Count(h.alerts.String(), "audit-exec-into-pod"); n != 2 {
		t.Errorf("%d exec alerts, want 2", n)
	}
}

// The alert webhook gets every alert, retried when it fails; a dead one
// is counted, logged without its path, and never stalls ingestion.
func TestServeAlertWebhook(t *testing.T) {
	var calls, fails atomic.Int32
	var got syncBuffer
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			fails.Add(1)
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		b, _ := io.ReadAll(r.Body)
		_, _ = got.Write(append(b, '\n'))
	}))
	defer hook.Close()
	h := startServe(t, nil, func(o *Options) { o.AlertWebhook = hook.URL + "/hooks/s3cr3t-token" }, nil)
	now := time.Now().UTC()
	h.post(t, "/", serveList(t, serveEvent("x1", "mallory", "create", "pods", "exec", "prod", "a", now)))
	waitServe(t, 10*time.Second, "the webhook alert", func() bool { return strings.Contains(got.String(), "audit-exec-into-pod") })
	if fails.Load() != 1 {
		t.Errorf("failures %d", fails.Load())
	}

	dead := startServe(t, nil, func(o *Options) { o.AlertWebhook = "http://127.0.0.1:1/hooks/s3cr3t-token" }, nil)
	start := time.Now()
	for i := range 5 {
		if resp := dead.post(t, "/", serveList(t, serveEvent(fmt.Sprint("d", i), "mallory", "create", "pods", "exec", "prod", fmt.Sprint("p", i), now))); resp.StatusCode != http.StatusOK {
			t.Fatalf("ingestion with a dead alert webhook: %s", resp.Status)
		}
	}
	waitServe(t, 10*time.Second, "five alerts on stdout", func() bool { return strings.Count(dead.alerts.String(), "\n") == 5 })
	if time.Since(start) > 5*time.Second {
		t.Errorf("a dead alert webhook slowed ingestion: %v", time.Since(start))
	}
	waitServe(t, 20*time.Second, "a counted webhook failure", func() bool {
		_, m := dead.get(t, "/metrics")
		return metricValue(m, "kharden_audit_alert_webhook_failures_total") != "0"
	})
	if strings.Contains(dead.log.String(), "s3cr3t") {
		t.Errorf("the log names the webhook's secret path: %s", dead.log.String())
	}
	if !strings.Contains(dead.log.String(), "http://127.0.0.1:1") {
		t.Errorf("the log does not name the receiver: %s", dead.log.String())
	}
}
