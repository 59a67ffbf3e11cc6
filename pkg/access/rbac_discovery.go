package access

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// DiscoveryResources resolves names the way kubectl does against a live
// cluster: its discovery documents (plural, singular and short names, every
// served group) through a RESTMapper, with the scope each resource is
// served with. Groups whose discovery fails are left out; only a cluster
// whose discovery fails as a whole is an error.
func DiscoveryResources(ctx context.Context, cfg *rest.Config, timeout time.Duration) (Resources, error) {
	c := rest.CopyConfig(cfg)
	c.WarningHandler = rest.NoWarnings{}
	if c.Timeout == 0 {
		c.Timeout = timeout
	}
	dc, err := discovery.NewDiscoveryClientForConfig(c)
	if err != nil {
		return Resources{}, fmt.Errorf("cluster client: %w", err)
	}
	cached := memory.NewMemCacheClientWithContext(discovery.ToDiscoveryInterfaceWithContext(dc))
	groups, err := restmapper.GetAPIGroupResourcesWithContext(ctx, cached)
	if groups == nil {
		if err == nil {
			err = fmt.Errorf("no API groups")
		}
		return Resources{}, fmt.Errorf("discovery: %w", err)
	}
	mapper := restmapper.NewShortcutExpanderWithContext(restmapper.NewDiscoveryRESTMapperWithContext(groups), cached, nil)
	namespaced := map[schema.GroupResource]bool{}
	for _, g := range groups {
		for _, list := range g.VersionedResources {
			for _, r := range list {
				if !strings.Contains(r.Name, "/") {
					namespaced[schema.GroupResource{Group: g.Group.Name, Resource: r.Name}] = r.Namespaced
				}
			}
		}
	}
	return Resources{
		Resolve: func(resource string) (string, string, bool) {
			in := schema.GroupVersionResource{Resource: strings.ToLower(resource)}
			gvr, err := mapper.ResourceForWithContext(ctx, in)
			if err != nil {
				// Ambiguous (events, events.events.k8s.io): the mapper's
				// first choice is the preferred group, as for kubectl.
				gvrs, err := mapper.ResourcesForWithContext(ctx, in)
				if err != nil || len(gvrs) == 0 {
					return "", "", false
				}
				gvr = gvrs[0]
			}
			return gvr.Resource, gvr.Group, true
		},
		Namespaced: func(group, resource string) (bool, bool) {
			ns, ok := namespaced[schema.GroupResource{Group: group, Resource: resource}]
			return ns, ok
		},
	}, nil
}
