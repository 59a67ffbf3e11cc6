package reencrypt

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/restmapper"
)

// target is a resource to rewrite, resolved through discovery.
type target struct {
	name       string // as the user named it, normalised: "secrets", "deployments.apps"
	gvr        schema.GroupVersionResource
	namespaced bool
}

// resolve turns resource names ("secrets", "deployments.apps",
// "deployments.v1.apps") into the served resources, in the order given,
// without duplicates. A resource must support list and update.
func resolve(dc discovery.DiscoveryInterface, names []string) ([]target, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("no resources given")
	}
	groups, err := restmapper.GetAPIGroupResources(dc)
	if err != nil && len(groups) == 0 {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	mapper := restmapper.NewDiscoveryRESTMapper(groups)
	var out []target
	for _, raw := range names {
		arg := strings.ToLower(strings.TrimSpace(raw))
		if arg == "" {
			return nil, fmt.Errorf("empty resource name")
		}
		gvr, err := lookup(mapper, arg)
		if err != nil {
			return nil, fmt.Errorf("resource %q: %w", raw, err)
		}
		if slices.ContainsFunc(out, func(t target) bool { return t.gvr == gvr }) {
			continue
		}
		api, ok := findAPIResource(groups, gvr)
		if !ok {
			return nil, fmt.Errorf("resource %q: not served as %s", raw, gvr)
		}
		for _, verb := range []string{"list", "get", "update"} {
			if !slices.Contains(api.Verbs, verb) {
				return nil, fmt.Errorf("resource %q: the API server does not allow %s on %s", raw, verb, gvr.GroupResource())
			}
		}
		out = append(out, target{name: gvr.GroupResource().String(), gvr: gvr, namespaced: api.Namespaced})
	}
	return out, nil
}

// lookup maps a resource argument to the preferred served version.
func lookup(mapper interface {
	ResourceFor(schema.GroupVersionResource) (schema.GroupVersionResource, error)
}, arg string) (schema.GroupVersionResource, error) {
	full, gr := schema.ParseResourceArg(arg)
	if full != nil {
		if gvr, err := mapper.ResourceFor(*full); err == nil {
			return gvr, nil
		}
	}
	return mapper.ResourceFor(gr.WithVersion(""))
}

// findAPIResource finds the discovery entry of a resource.
func findAPIResource(groups []*restmapper.APIGroupResources, gvr schema.GroupVersionResource) (apiResource, bool) {
	for _, g := range groups {
		if g.Group.Name != gvr.Group {
			continue
		}
		for _, r := range g.VersionedResources[gvr.Version] {
			if r.Name == gvr.Resource {
				return apiResource{Namespaced: r.Namespaced, Verbs: r.Verbs}, true
			}
		}
	}
	return apiResource{}, false
}

// apiResource is what resolve needs of a discovery entry.
type apiResource struct {
	Namespaced bool
	Verbs      []string
}
