package network

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/pkg/inventory"
)

// NetpolKinds are the kinds the reachability commands (reach, matrix,
// coverage) read from a cluster: namespaces and their labels, the running
// pods and the workloads that own them (to name pods by their
// Deployment), NetworkPolicies, and Services.
func NetpolKinds() []schema.GroupKind {
	kinds := []schema.GroupKind{inventory.KindNamespace, inventory.KindNetworkPolicy, inventory.KindService}
	return append(kinds, inventory.WorkloadKinds()...)
}
