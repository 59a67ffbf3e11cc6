package access

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/inventory"
)

// Resources is what a question's resource is checked against: how names
// resolve to a plural and an API group, and which resources have no
// namespace (a RoleBinding never grants those).
type Resources struct {
	Resolve rbac.ResourceResolver
	// Namespaced reports whether a resource lives in namespaces; known is
	// false when the scope is not known (then it is taken as namespaced).
	Namespaced func(group, resource string) (namespaced, known bool)
}

// rbClusterScoped are the built-in resources without a namespace, by API
// group and plural.
var rbClusterScoped = map[schema.GroupResource]bool{
	{Resource: "nodes"}: true, {Resource: "namespaces"}: true, {Resource: "persistentvolumes"}: true,
	{Resource: "componentstatuses"}:                                                        true,
	{Group: "rbac.authorization.k8s.io", Resource: "clusterroles"}:                         true,
	{Group: "rbac.authorization.k8s.io", Resource: "clusterrolebindings"}:                  true,
	{Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions"}:                 true,
	{Group: "apiregistration.k8s.io", Resource: "apiservices"}:                             true,
	{Group: "admissionregistration.k8s.io", Resource: "mutatingwebhookconfigurations"}:     true,
	{Group: "admissionregistration.k8s.io", Resource: "validatingwebhookconfigurations"}:   true,
	{Group: "admissionregistration.k8s.io", Resource: "validatingadmissionpolicies"}:       true,
	{Group: "admissionregistration.k8s.io", Resource: "validatingadmissionpolicybindings"}: true,
	{Group: "admissionregistration.k8s.io", Resource: "mutatingadmissionpolicies"}:         true,
	{Group: "admissionregistration.k8s.io", Resource: "mutatingadmissionpolicybindings"}:   true,
	{Group: "certificates.k8s.io", Resource: "certificatesigningrequests"}:                 true,
	{Group: "storage.k8s.io", Resource: "storageclasses"}:                                  true,
	{Group: "storage.k8s.io", Resource: "csidrivers"}:                                      true,
	{Group: "storage.k8s.io", Resource: "csinodes"}:                                        true,
	{Group: "storage.k8s.io", Resource: "volumeattachments"}:                               true,
	{Group: "storage.k8s.io", Resource: "volumeattributesclasses"}:                         true,
	{Group: "scheduling.k8s.io", Resource: "priorityclasses"}:                              true,
	{Group: "node.k8s.io", Resource: "runtimeclasses"}:                                     true,
	{Group: "networking.k8s.io", Resource: "ingressclasses"}:                               true,
	{Group: "flowcontrol.apiserver.k8s.io", Resource: "flowschemas"}:                       true,
	{Group: "flowcontrol.apiserver.k8s.io", Resource: "prioritylevelconfigurations"}:       true,
	{Group: "authentication.k8s.io", Resource: "tokenreviews"}:                             true,
	{Group: "authentication.k8s.io", Resource: "selfsubjectreviews"}:                       true,
	{Group: "authorization.k8s.io", Resource: "subjectaccessreviews"}:                      true,
	{Group: "authorization.k8s.io", Resource: "selfsubjectaccessreviews"}:                  true,
	{Group: "authorization.k8s.io", Resource: "selfsubjectrulesreviews"}:                   true,
	{Group: "resource.k8s.io", Resource: "deviceclasses"}:                                  true,
	{Group: "resource.k8s.io", Resource: "resourceslices"}:                                 true,
}

// FileResources resolves names against the resources every API server
// serves and the CustomResourceDefinitions of the inventory (inv may be
// nil). Custom resources are taken as namespaced: a CRD's scope is not kept
// when manifests are read.
func FileResources(inv *inventory.Inventory) Resources {
	return Resources{
		Resolve: rbac.BuiltinResolver(inv),
		Namespaced: func(group, resource string) (bool, bool) {
			if rbClusterScoped[schema.GroupResource{Group: group, Resource: resource}] {
				return false, true
			}
			return true, false
		},
	}
}

// RBACKinds are the kinds an RBAC analysis reads from a cluster: roles and
// bindings, the ServiceAccounts and namespaces they name, the
// CustomResourceDefinitions that resolve resource names, and the workloads
// that run as ServiceAccounts.
func RBACKinds() []schema.GroupKind {
	kinds := []schema.GroupKind{
		inventory.KindRole, inventory.KindClusterRole, inventory.KindRoleBinding, inventory.KindClusterRoleBinding,
		inventory.KindServiceAccount, inventory.KindNamespace, inventory.KindCustomResourceDefinition,
	}
	return append(kinds, inventory.WorkloadKinds()...)
}
