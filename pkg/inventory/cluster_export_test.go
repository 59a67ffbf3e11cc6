package inventory

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ScannedResources exposes to the external tests which resources a cluster
// scan lists, given discovery's answer.
func ScannedResources(lists []*metav1.APIResourceList) []schema.GroupVersionResource {
	var out []schema.GroupVersionResource
	for _, r := range selectResources(lists, false) {
		out = append(out, r.GVR)
	}
	return out
}
