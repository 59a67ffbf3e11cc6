package cluster

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/pager"
)

// ListAll is the floor a cluster scan is measured against: discovery, then
// paged lists of every listable resource (preferred versions, no
// subresources, events.k8s.io skipped as an alias of core events) with
// parallel resources at once and pages of chunk objects, Secrets as
// metadata only — the requests a scan makes, with nothing done with the
// objects but decoding them. It returns the number of objects listed.
func ListAll(ctx context.Context, cfg *rest.Config, chunk int64, parallel int) (int, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 50, 100 // as the scan's client
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return 0, err
	}
	lists, err := dc.ServerPreferredResourcesWithContext(ctx)
	if err != nil {
		return 0, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return 0, err
	}
	meta, err := metadata.NewForConfig(cfg)
	if err != nil {
		return 0, err
	}
	var gvrs []schema.GroupVersionResource
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !hasVerb(r.Verbs, "list") || (gv.Group == "events.k8s.io" && r.Name == "events") {
				continue
			}
			gvrs = append(gvrs, gv.WithResource(r.Name))
		}
	}
	var total atomic.Int64
	var firstErr error
	var once sync.Once
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for _, gvr := range gvrs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var fn pager.ListPageFunc
			if gvr.Group == "" && gvr.Resource == "secrets" {
				fn = func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
					return meta.Resource(gvr).List(ctx, o)
				}
			} else {
				fn = func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
					return dyn.Resource(gvr).List(ctx, o)
				}
			}
			p := pager.New(fn)
			p.PageSize = chunk
			n := 0
			err := p.EachListItem(ctx, metav1.ListOptions{}, func(runtime.Object) error { n++; return nil })
			if err != nil {
				once.Do(func() { firstErr = err })
			}
			total.Add(int64(n))
		}()
	}
	wg.Wait()
	return int(total.Load()), firstErr
}

func hasVerb(verbs []string, v string) bool {
	for _, x := range verbs {
		if x == v {
			return true
		}
	}
	return false
}
