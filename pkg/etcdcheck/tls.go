package etcdcheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

// tlsConfig builds the client TLS configuration from the files, or nil
// when no file is given and no endpoint is https.
func tlsConfig(o Options) (*tls.Config, error) {
	https := false
	for _, ep := range o.Endpoints {
		https = https || strings.HasPrefix(ep, "https://")
	}
	if o.CACert == "" && o.Cert == "" && o.Key == "" && !https {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.CACert != "" {
		pem, err := os.ReadFile(o.CACert)
		if err != nil {
			return nil, fmt.Errorf("--cacert: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--cacert %s: no PEM certificate found", o.CACert)
		}
		cfg.RootCAs = pool
	}
	if (o.Cert == "") != (o.Key == "") {
		return nil, fmt.Errorf("--cert and --key must be given together")
	}
	if o.Cert != "" {
		// The error of X509KeyPair never contains key material.
		pair, err := tls.LoadX509KeyPair(o.Cert, o.Key)
		if err != nil {
			return nil, fmt.Errorf("--cert %s / --key %s: %w", o.Cert, o.Key, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// probe connects to each endpoint (with a TLS handshake when tlsCfg is
// set) and returns nil as soon as one answers, else the first endpoint's
// error.
func probe(ctx context.Context, endpoints []string, tlsCfg *tls.Config, timeout time.Duration) error {
	var first error
	for _, ep := range endpoints {
		err := probeOne(ctx, ep, tlsCfg, timeout)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return first
}

func probeOne(ctx context.Context, ep string, tlsCfg *tls.Config, timeout time.Duration) error {
	host := ep
	if u, err := url.Parse(ep); err == nil && u.Host != "" {
		host = u.Host
	} else if strings.Contains(ep, "://") {
		return fmt.Errorf("etcd endpoint %q: not a URL", ep)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d := &net.Dialer{}
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return fmt.Errorf("etcd %s: %w", ep, err)
	}
	defer conn.Close()
	if tlsCfg == nil {
		return nil
	}
	cfg := tlsCfg.Clone()
	if h, _, err := net.SplitHostPort(host); err == nil {
		cfg.ServerName = h
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("etcd %s: TLS: %w", ep, err)
	}
	return nil
}
