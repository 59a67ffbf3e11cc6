package testcluster

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"

	"k8s.io/client-go/rest"
)

// WriteFault fails real (not dry-run) PATCH requests whose URL path ends
// with Path, as a conflict or an API server going away would after every
// dry run had passed: once armed with n, the next n of them (-1: all,
// until armed with 0). The transport is the client's; the API server
// never sees the failed request.
type WriteFault struct {
	Path  string
	next  http.RoundTripper
	armed atomic.Int32
	hits  atomic.Int32
}

// Config returns a copy of cfg whose requests go through the fault.
func (f *WriteFault) Config(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { f.next = rt; return f }
	return c
}

// Arm fails the next n matching writes (-1: all of them; 0: none).
func (f *WriteFault) Arm(n int32) { f.armed.Store(n) }

// Hits is the number of writes failed so far; ResetHits starts again.
func (f *WriteFault) Hits() int32 { return f.hits.Load() }
func (f *WriteFault) ResetHits()  { f.hits.Store(0) }

// RoundTrip implements http.RoundTripper.
func (f *WriteFault) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPatch && strings.HasSuffix(req.URL.Path, f.Path) && req.URL.Query().Get("dryRun") == "" {
		if n := f.armed.Load(); n != 0 {
			if n > 0 {
				f.armed.Add(-1)
			}
			f.hits.Add(1)
			return nil, errors.New("connection reset by the test")
		}
	}
	return f.next.RoundTrip(req)
}
