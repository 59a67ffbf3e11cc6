package checks

import (
	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/finding"
)

// rbacAdmissionControlWrite reports bindings that grant create, update,
// patch, delete or deletecollection on mutating or validating webhook
// configurations, validating or mutating admission policies and their
// bindings (admissionregistration.k8s.io), or customresourcedefinitions
// (apiextensions.k8s.io). Allowed: read-only access.
var rbacAdmissionControlWrite = newRBACRisk(rbac.RiskAdmissionControlWrite, finding.SeverityHigh,
	"Binding grants changing admission control (webhook configurations, admission policies) or CRDs",
	"Checks the rules each RoleBinding and ClusterRoleBinding grants for write verbs on "+
		"mutatingwebhookconfigurations, validatingwebhookconfigurations, validatingadmissionpolicies, "+
		"validatingadmissionpolicybindings, mutatingadmissionpolicies, mutatingadmissionpolicybindings and "+
		"customresourcedefinitions. Admission control is where Pod Security, image policies and guardrails "+
		"are enforced: a subject that can change it switches them off, or registers a mutating webhook that "+
		"receives (and can rewrite) every object, Secrets included. Changing a CRD's schema or conversion "+
		"webhook does the same for its custom resources."+
		" Only ClusterRoleBindings are reported: these resources are cluster-scoped, and a RoleBinding "+
		"grants nothing on them.",
	"Keep admission configuration and CRDs in the hands of the cluster's platform pipeline; operators that "+
		"manage their own webhook configuration should be limited to it by resourceNames.",
	"CIS Kubernetes Benchmark 5.1.12", "NSA/CISA Kubernetes Hardening Guide: Authentication and authorization",
	"MITRE ATT&CK T1562")
