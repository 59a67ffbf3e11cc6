package testcluster

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// EtcdGet reads a key straight from the cluster's etcd, bypassing the API
// server (e.g. /registry/secrets/<namespace>/<name>, to see how a Secret is
// stored). ok is false when the key does not exist. It uses etcd's JSON
// gateway (/v3/kv/range) on the plain-HTTP client URL envtest starts etcd
// with, so no etcd client module is needed.
func (c *Cluster) EtcdGet(t testing.TB, key string) (value []byte, ok bool) {
	t.Helper()
	u := *c.Env.ControlPlane.Etcd.URL
	u.Path = "/v3/kv/range"
	// []byte fields marshal as base64, which is what the gateway expects.
	body, err := json.Marshal(struct {
		Key []byte `json:"key"`
	}{[]byte(key)})
	if err != nil {
		t.Fatalf("testcluster: %v", err)
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	res, err := hc.Post(u.String(), "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("testcluster: etcd range %q: %v", key, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("testcluster: etcd range %q: %s %v", key, res.Status, err)
	}
	var out struct {
		Kvs []struct {
			Value []byte `json:"value"`
		} `json:"kvs"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("testcluster: etcd range %q: %v", key, err)
	}
	if len(out.Kvs) == 0 {
		return nil, false
	}
	return out.Kvs[0].Value, true
}
