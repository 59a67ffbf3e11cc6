package etcdcheck

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// DefaultPrefix is where the API server stores objects by default
// (kube-apiserver --etcd-prefix).
const DefaultPrefix = "/registry"

// DefaultTimeout bounds connecting and each request when Options.Timeout
// is zero.
const DefaultTimeout = 10 * time.Second

// pageSize is the number of keys (with their values) read per request; the
// values of one page are all the memory a verification holds.
const pageSize = 500

// Options say which etcd to read and how.
type Options struct {
	// Endpoints are etcd client URLs (https://10.0.0.1:2379).
	Endpoints []string
	// CACert, Cert and Key are PEM files for TLS (the API server's
	// --etcd-cafile, --etcd-certfile, --etcd-keyfile). Empty: no TLS
	// unless an endpoint is https, then the system roots.
	CACert, Cert, Key string
	// Prefix is the API server's --etcd-prefix; default DefaultPrefix.
	Prefix string
	// Timeout bounds connecting and each request; default DefaultTimeout.
	Timeout time.Duration
	// Snapshot is an etcd snapshot file (etcdctl snapshot save) to read
	// instead of a live etcd; Endpoints and TLS are then not used.
	Snapshot string
}

// Verify reads every key under the prefix and counts how each value is
// stored. An error means etcd could not be read (unreachable, TLS or
// authentication failure, timeout); plaintext objects are not an error.
func Verify(ctx context.Context, o Options) (*Report, error) {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Snapshot != "" {
		return verifySnapshot(o)
	}
	if len(o.Endpoints) == 0 {
		return nil, errors.New("no etcd endpoint given")
	}
	tlsCfg, err := tlsConfig(o)
	if err != nil {
		return nil, err
	}
	// grpc connects lazily and retries until the deadline, hiding why; a
	// direct probe turns "connection refused" or a certificate mismatch
	// into a one-line error.
	if err := probe(ctx, o.Endpoints, tlsCfg, o.Timeout); err != nil {
		return nil, err
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   o.Endpoints,
		TLS:         tlsCfg,
		DialTimeout: o.Timeout,
		Logger:      zap.NewNop(),
		Context:     ctx,
	})
	if err != nil {
		return nil, fmt.Errorf("etcd %s: %w", strings.Join(o.Endpoints, ","), err)
	}
	defer cli.Close()
	return readAll(ctx, cli, o)
}

// readAll pages through the keys under the prefix at one revision, so the
// counts are of one consistent state.
func readAll(ctx context.Context, cli *clientv3.Client, o Options) (*Report, error) {
	start := strings.TrimSuffix(o.Prefix, "/") + "/"
	end := clientv3.GetPrefixRangeEnd(start)
	t := tally{}
	var rev int64
	for {
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(pageSize)}
		if rev != 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		rctx, cancel := context.WithTimeout(ctx, o.Timeout)
		resp, err := cli.Get(rctx, start, opts...)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("etcd %s: reading %s: %w", strings.Join(o.Endpoints, ","), start, err)
		}
		rev = resp.Header.Revision
		for _, kv := range resp.Kvs {
			t.add(o.Prefix, string(kv.Key), kv.Value)
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return t.report(), nil
		}
		start = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}
