package auditserve

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"
)

// FuzzServeIngest posts arbitrary bodies to the handler and analyses what
// it spooled: never a panic, and a batch is either refused or spooled and
// then removed or quarantined.
func FuzzServeIngest(f *testing.F) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Add(serveList(f, serveEvent("a", "mallory", "create", "pods", "exec", "prod", "p", now)))
	f.Add([]byte(`{"kind":"EventList","items":[]}`))
	f.Add([]byte(`{"kind":"EventList","items":[{"kind":"Event","apiVersion":"audit.k8s.io/v9"}]}`))
	f.Add([]byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"x","stage":"ResponseComplete"}`))
	f.Add([]byte(`{"items":[1,"x",null,{}]}`))
	f.Add([]byte("\x1f\x8b\x08"))
	certs := newServeCerts(f)
	dir := f.TempDir()
	s, err := New(Options{TLSCertFile: certs.Cert, TLSKeyFile: certs.Key, SpoolDir: filepath.Join(dir, "spool"), MaxBodyBytes: 1 << 16})
	if err != nil {
		f.Fatal(err)
	}
	stop := make(chan struct{})
	close(stop)
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		s.ingest(rec, httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body)))
		switch rec.Code {
		case http.StatusOK:
			name, ok := s.spool.Next(stop)
			if !ok {
				t.Fatal("accepted but not spooled")
			}
			s.analyse(name)
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("answered %d", rec.Code)
		}
		if _, n := s.spool.Usage(); n != 0 {
			t.Fatalf("%d batches left in the spool", n)
		}
	})
}
