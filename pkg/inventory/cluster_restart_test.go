package inventory_test

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/kharden/kharden/internal/testcluster"
	"github.com/kharden/kharden/pkg/inventory"
)

// flakyProxy forwards TCP to the API server and can drop everything for a
// while, as a restarting API server (or a load balancer failing over) looks
// to a client: connections reset, then refused, then accepted again.
type flakyProxy struct {
	addr    string
	backend string
	mu      sync.Mutex
	ln      net.Listener
	conns   map[net.Conn]bool
}

func newFlakyProxy(t *testing.T, backend string) *flakyProxy {
	p := &flakyProxy{backend: backend, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

func (p *flakyProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *flakyProxy) forward(c net.Conn) {
	b, err := net.Dial("tcp", p.backend)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[b] = true, true
	p.mu.Unlock()
	go func() { io.Copy(b, c); b.Close() }()
	io.Copy(c, b)
	c.Close()
}

// down closes the listener and every open connection.
func (p *flakyProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

// up listens again on the same address.
func (p *flakyProxy) up(t *testing.T) {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Errorf("proxy back up: %v", err)
		return
	}
	p.serve(ln)
}

// TestLoadClusterSurvivesRestart: the API server goes away in the middle of a
// scan and comes back within the retry budget; the scan retries, completes,
// and is not partial.
func TestLoadClusterSurvivesRestart(t *testing.T) {
	c := testcluster.Start(t, testcluster.Options{})
	ctx := context.Background()
	newApplier(t, c.Config).mustApplyYAML(ctx, liveFixture)

	u, err := url.Parse(c.Config.Host)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newFlakyProxy(t, u.Host)
	cfg := rest.CopyConfig(c.Config)
	cfg.Host = "https://" + proxy.addr
	cfg.ServerName = "localhost" // the serving certificate's name, not the proxy's address

	var once sync.Once
	var restarted sync.WaitGroup
	var downAt time.Time
	start := time.Now()
	inv, err := inventory.LoadCluster(ctx, inventory.ClusterOptions{Config: cfg, Parallelism: 2, ChunkSize: 2,
		Retries: 5, Backoff: 200 * time.Millisecond,
		Progress: func(p inventory.ClusterProgress) {
			if p.Done == 3 {
				once.Do(func() {
					downAt = time.Now()
					proxy.down()
					restarted.Add(1)
					go func() {
						defer restarted.Done()
						time.Sleep(1500 * time.Millisecond)
						proxy.up(t)
					}()
				})
			}
		}})
	end := time.Now()
	restarted.Wait()
	if err != nil {
		t.Fatal(err)
	}
	// Not vacuous: the outage happened during the scan, and the scan lasted
	// through it.
	if downAt.IsZero() || end.Sub(downAt) < 1400*time.Millisecond {
		t.Fatalf("the scan did not run through the outage (down at %v, scan %v)", downAt.Sub(start), end.Sub(start))
	}
	for _, d := range inv.Errors() {
		t.Errorf("the scan did not recover: %s", d)
	}
	if len(inv.Get(inventory.KindDeployment, "shop", "web")) != 1 {
		t.Error("objects listed after the restart are missing")
	}
}
