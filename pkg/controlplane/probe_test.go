package controlplane

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/kharden/kharden/pkg/checks"
)

// probeFakeResolver answers every lookup with addrs, or err.
type probeFakeResolver struct {
	addrs []netip.Addr
	err   error
}

func (r probeFakeResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return r.addrs, r.err
}

func TestProbeIsPublic(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		public bool
	}{
		{"8.8.8.8", true},
		{"34.76.10.20", true},
		{"2a00:1450:4001:80e::200e", true},
		{"::ffff:8.8.4.4", true},
		{"10.0.0.1", false},
		{"172.16.5.4", false},
		{"172.32.0.1", true},
		{"192.168.1.1", false},
		{"127.0.0.1", false},
		{"::1", false},
		{"169.254.169.254", false},
		{"fe80::1", false},
		{"100.64.0.1", false},
		{"100.127.255.254", false},
		{"100.128.0.1", true},
		{"fd12:3456::1", false},
		{"::ffff:10.1.2.3", false},
		{"0.0.0.0", false},
		{"203.0.113.9", false},
		{"224.0.0.1", false},
	} {
		if got := probeIsPublic(netip.MustParseAddr(tc.addr)); got != tc.public {
			t.Errorf("probeIsPublic(%s) = %v, want %v", tc.addr, got, tc.public)
		}
	}
}

func TestProbeAddress(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		host     string
		resolver probeFakeResolver
		public   []string
		meaning  string
	}{
		{"public name", "api.example.com", probeFakeResolver{addrs: []netip.Addr{netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("34.76.10.20")}},
			[]string{"34.76.10.20"}, "api.example.com resolves to 10.0.0.5 (not public), 34.76.10.20 (public)"},
		{"private name", "api.internal", probeFakeResolver{addrs: []netip.Addr{netip.MustParseAddr("100.64.3.4")}},
			nil, "api.internal resolves to 100.64.3.4 (not public)"},
		{"literal", "127.0.0.1", probeFakeResolver{err: errors.New("must not be asked")}, nil, "127.0.0.1 resolves to 127.0.0.1 (not public)"},
		{"literal v6", "[2a00:1450::1]", probeFakeResolver{err: errors.New("must not be asked")}, []string{"2a00:1450::1"}, "(public)"},
		{"lookup fails", "gone.example", probeFakeResolver{err: errors.New("no such host")}, nil, "could not resolve gone.example"},
	} {
		res, public := probeAddress(ctx, tc.resolver, tc.host)
		if strings.Join(public, ",") != strings.Join(tc.public, ",") || !strings.Contains(res.Meaning, tc.meaning) || res.Path != "address" {
			t.Errorf("%s: got %+v %v, want %v and %q", tc.name, res, public, tc.public, tc.meaning)
		}
	}
}

// TestProbeLiveFake runs the probe against a TLS test server that answers
// like an API server with anonymous access, resolving its host to a public
// address, and checks that no credential of the config is sent or shown.
func TestProbeLiveFake(t *testing.T) {
	const secret = "SECRET-BEARER-TOKEN-must-not-leak"
	var sawCreds bool
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" || (r.TLS != nil && len(r.TLS.PeerCertificates) > 0) {
			sawCreds = true
		}
		switch r.URL.Path {
		case "/api", "/version", "/healthz":
			w.WriteHeader(http.StatusOK)
		case "/apis":
			w.WriteHeader(http.StatusForbidden)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	cfg := &rest.Config{Host: srv.URL, BearerToken: secret, Username: "u", Password: secret,
		TLSClientConfig: rest.TLSClientConfig{CAData: probeCAPEM(t, srv)}}
	resolver := probeFakeResolver{addrs: []netip.Addr{netip.MustParseAddr("34.76.10.20")}}

	fs, results, err := probeLive(context.Background(), cfg, 5*time.Second, resolver)
	if err != nil {
		t.Fatal(err)
	}
	if sawCreds {
		t.Error("the probe sent credentials")
	}
	wantStatus := map[string]int{"/api": 200, "/apis": 403, "/version": 200, "/healthz": 200, "address": 0}
	if len(results) != len(wantStatus) {
		t.Errorf("got %d results, want %d: %+v", len(results), len(wantStatus), results)
	}
	for _, r := range results {
		if st, ok := wantStatus[r.Path]; !ok || st != r.Status || r.Meaning == "" {
			t.Errorf("result %+v, want status %d", r, st)
		}
	}
	// 127.0.0.1 is a literal: the resolver is not asked and it is not public.
	if len(fs) != 1 || fs[0].Rule != checks.RuleAPIServerAnonymousAuth || fs[0].Path != "GET /api" || fs[0].Object.Kind != KindLiveCluster {
		t.Fatalf("findings %+v, want one apiserver-anonymous-auth on GET /api", fs)
	}
	for _, f := range fs {
		if strings.Contains(cloudDump(f), secret) {
			t.Errorf("finding shows the token: %+v", f)
		}
	}

	// The same server under a public name: the address finding too.
	cfg.Host = strings.Replace(srv.URL, "127.0.0.1", "api.example.com", 1)
	cfg.TLSClientConfig.ServerName = "example.com" // httptest's certificate name
	cfg.Dial = probeDialTo(srv.Listener.Addr().String())
	fs, _, err = probeLive(context.Background(), cfg, 5*time.Second, resolver)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 || fs[1].Rule != checks.RuleAPIServerPublicEndpoint || !strings.Contains(fs[1].Message, "34.76.10.20") {
		t.Errorf("findings %+v, want anonymous auth and public endpoint", fs)
	}
}

func TestProbeLiveUnreachable(t *testing.T) {
	const secret = "SECRET-BEARER-TOKEN-must-not-leak"
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer hang.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	for _, tc := range []struct {
		name, host string
		want       string
	}{
		{"refused", closedURL, "GET /api"},
		{"hangs", hang.URL, "no answer within"},
		{"no host", "", "no API server address"},
		{"untrusted", "https://" + strings.TrimPrefix(hang.URL, "http://"), "GET /api"},
	} {
		start := time.Now()
		_, _, err := probeLive(context.Background(), &rest.Config{Host: tc.host, BearerToken: secret}, 500*time.Millisecond, probeFakeResolver{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), secret) {
			t.Errorf("%s: error is not one clean line: %q", tc.name, err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: took %s, over the timeout", tc.name, d)
		}
	}
}
