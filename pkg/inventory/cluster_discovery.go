package inventory

import (
	"context"
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
)

// clusterResource is one resource a cluster scan lists.
type clusterResource struct {
	GVR        schema.GroupVersionResource
	Kind       string
	Namespaced bool
}

// String names the resource as kubectl does: "deployments.apps", "pods".
func (r clusterResource) String() string {
	if r.GVR.Group == "" {
		return r.GVR.Resource
	}
	return r.GVR.Resource + "." + r.GVR.Group
}

// aliasResources are served from the storage of another resource that the
// scan already lists: listing them too would put every object in the
// inventory twice (and report its findings twice).
var aliasResources = map[schema.GroupResource]bool{
	{Group: "events.k8s.io", Resource: "events"}: true, // same objects as core events
}

// discoverResources returns every listable resource in its preferred version
// (only the namespaced ones when namespaced is set), sorted by name. Groups
// whose discovery fails (an aggregated API whose backend is down) become
// warnings: the rest of the cluster is still scanned.
func discoverResources(ctx context.Context, dc *discovery.DiscoveryClient, namespaced bool) ([]clusterResource, []Diagnostic, error) {
	var lists []*metav1.APIResourceList
	var err error
	if namespaced {
		lists, err = dc.ServerPreferredNamespacedResourcesWithContext(ctx)
	} else {
		lists, err = dc.ServerPreferredResourcesWithContext(ctx)
	}
	var diags []Diagnostic
	if err != nil {
		failed, ok := discovery.GroupDiscoveryFailedErrorGroups(err)
		if !ok {
			return nil, nil, err
		}
		gvs := make([]schema.GroupVersion, 0, len(failed))
		for gv := range failed {
			gvs = append(gvs, gv)
		}
		sort.Slice(gvs, func(i, j int) bool { return gvs[i].String() < gvs[j].String() })
		for _, gv := range gvs {
			diags = append(diags, Diagnostic{Warning: true,
				Message: fmt.Sprintf("not visible: %s: discovery failed: %s", gv, oneLine(rootCause(failed[gv]).Error()))})
		}
	}
	return selectResources(lists, namespaced), diags, nil
}

// selectResources keeps what can be listed: no subresources ("pods/log"), a
// list verb, no aliases, one entry per group and resource.
func selectResources(lists []*metav1.APIResourceList, namespaced bool) []clusterResource {
	seen := map[schema.GroupResource]bool{}
	var out []clusterResource
	for _, l := range lists {
		if l == nil {
			continue
		}
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, ar := range l.APIResources {
			if strings.Contains(ar.Name, "/") || !hasVerb(ar.Verbs, "list") {
				continue
			}
			if namespaced && !ar.Namespaced {
				continue
			}
			gr := schema.GroupResource{Group: gv.Group, Resource: ar.Name}
			if aliasResources[gr] || seen[gr] {
				continue
			}
			seen[gr] = true
			out = append(out, clusterResource{GVR: gv.WithResource(ar.Name), Kind: ar.Kind, Namespaced: ar.Namespaced})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func hasVerb(verbs metav1.Verbs, verb string) bool {
	for _, v := range verbs {
		if v == verb {
			return true
		}
	}
	return false
}
