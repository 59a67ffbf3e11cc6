package controlplane

import (
	"context"
	"encoding/pem"
	"net"
	"net/http/httptest"
	"testing"
)

// probeCAPEM is the PEM certificate of a TLS test server, to trust it.
func probeCAPEM(t *testing.T, srv *httptest.Server) []byte {
	t.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

// probeDialTo dials addr whatever address is asked for, so that a test
// server can stand in for a named host.
func probeDialTo(addr string) func(ctx context.Context, network, _ string) (net.Conn, error) {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
}
