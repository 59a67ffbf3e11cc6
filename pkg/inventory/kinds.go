package inventory

import "k8s.io/apimachinery/pkg/runtime/schema"

// Group/kind values of the built-in kinds kharden reasons about. Checks use
// these, never bare kind strings.
var (
	KindPod                      = schema.GroupKind{Kind: "Pod"}
	KindPodTemplate              = schema.GroupKind{Kind: "PodTemplate"}
	KindReplicationController    = schema.GroupKind{Kind: "ReplicationController"}
	KindNamespace                = schema.GroupKind{Kind: "Namespace"}
	KindServiceAccount           = schema.GroupKind{Kind: "ServiceAccount"}
	KindSecret                   = schema.GroupKind{Kind: "Secret"}
	KindConfigMap                = schema.GroupKind{Kind: "ConfigMap"}
	KindService                  = schema.GroupKind{Kind: "Service"}
	KindDeployment               = schema.GroupKind{Group: "apps", Kind: "Deployment"}
	KindStatefulSet              = schema.GroupKind{Group: "apps", Kind: "StatefulSet"}
	KindDaemonSet                = schema.GroupKind{Group: "apps", Kind: "DaemonSet"}
	KindReplicaSet               = schema.GroupKind{Group: "apps", Kind: "ReplicaSet"}
	KindJob                      = schema.GroupKind{Group: "batch", Kind: "Job"}
	KindCronJob                  = schema.GroupKind{Group: "batch", Kind: "CronJob"}
	KindIngress                  = schema.GroupKind{Group: "networking.k8s.io", Kind: "Ingress"}
	KindNetworkPolicy            = schema.GroupKind{Group: "networking.k8s.io", Kind: "NetworkPolicy"}
	KindRole                     = schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "Role"}
	KindClusterRole              = schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}
	KindRoleBinding              = schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}
	KindClusterRoleBinding       = schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}
	KindCustomResourceDefinition = schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}
)

// legacyGroups maps API groups that were removed or renamed to the group that
// serves the same kind today, so that old manifests (extensions/v1beta1
// Deployments and Ingresses, ...) are still recognised by the checks.
var legacyGroups = map[schema.GroupKind]string{
	{Group: "extensions", Kind: "Deployment"}:    "apps",
	{Group: "extensions", Kind: "DaemonSet"}:     "apps",
	{Group: "extensions", Kind: "ReplicaSet"}:    "apps",
	{Group: "extensions", Kind: "Ingress"}:       "networking.k8s.io",
	{Group: "extensions", Kind: "NetworkPolicy"}: "networking.k8s.io",
}

// CanonicalGroupKind maps a group/kind as written in a manifest to the one the
// checks use (extensions/Deployment -> apps/Deployment).
func CanonicalGroupKind(gk schema.GroupKind) schema.GroupKind {
	if g, ok := legacyGroups[gk]; ok {
		return schema.GroupKind{Group: g, Kind: gk.Kind}
	}
	return gk
}

// clusterScoped lists the built-in kinds that have no namespace.
var clusterScoped = map[schema.GroupKind]bool{
	KindNamespace:              true,
	KindClusterRole:            true,
	KindClusterRoleBinding:     true,
	{Kind: "Node"}:             true,
	{Kind: "PersistentVolume"}: true,
	{Group: "storage.k8s.io", Kind: "StorageClass"}:                                   true,
	{Group: "storage.k8s.io", Kind: "CSIDriver"}:                                      true,
	{Group: "storage.k8s.io", Kind: "VolumeAttributesClass"}:                          true,
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}:                 true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"}:   true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"}:     true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicy"}:        true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicyBinding"}: true,
	{Group: "apiregistration.k8s.io", Kind: "APIService"}:                             true,
	{Group: "networking.k8s.io", Kind: "IngressClass"}:                                true,
	{Group: "scheduling.k8s.io", Kind: "PriorityClass"}:                               true,
	{Group: "policy", Kind: "PodSecurityPolicy"}:                                      true,
	{Group: "node.k8s.io", Kind: "RuntimeClass"}:                                      true,
	{Group: "certificates.k8s.io", Kind: "CertificateSigningRequest"}:                 true,
	{Group: "flowcontrol.apiserver.k8s.io", Kind: "FlowSchema"}:                       true,
	{Group: "flowcontrol.apiserver.k8s.io", Kind: "PriorityLevelConfiguration"}:       true,
}

// IsClusterScoped reports whether a built-in kind has no namespace. Unknown
// kinds (custom resources) are treated as namespaced only when they carry a
// namespace; see Object.
func IsClusterScoped(gk schema.GroupKind) bool { return clusterScoped[CanonicalGroupKind(gk)] }
