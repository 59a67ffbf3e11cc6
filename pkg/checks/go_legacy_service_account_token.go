package checks

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// legacyServiceAccountToken reports Secrets of type
// kubernetes.io/service-account-token. The token controller fills such a
// Secret with a token that never expires; projected tokens (TokenRequest)
// are short-lived and bound to the pod.
var legacyServiceAccountToken = &Check{
	ID:       "legacy-service-account-token",
	Category: finding.CategoryIdentity,
	Severity: finding.SeverityHigh,
	Summary:  "Secret of type kubernetes.io/service-account-token holds a non-expiring API token",
	Doc: "Checks the type of Secrets. A Secret of type kubernetes.io/service-account-token is filled by the " +
		"token controller with a ServiceAccount token that never expires and is not bound to any pod; it " +
		"stays valid until the Secret is deleted, so a copy leaked in a log or a backup works forever.",
	Remediation: "Delete the Secret and let workloads use projected ServiceAccount tokens (the default since " +
		"Kubernetes 1.22) with a bounded expirationSeconds; for tools outside the cluster, issue short-lived " +
		"tokens with `kubectl create token`.",
	References: []string{"CIS Kubernetes Benchmark 5.1.6", "NSA/CISA Kubernetes Hardening Guide: Authentication and authorization", "MITRE ATT&CK T1528"},
	Engine:     EngineGo,
	Kinds:      []schema.GroupKind{inventory.KindSecret},
	Run: func(p *Pass, o *inventory.Object) {
		if t, _ := o.Content["type"].(string); t == "kubernetes.io/service-account-token" {
			sa, _ := o.Annotation("kubernetes.io/service-account.name")
			msg := "legacy long-lived ServiceAccount token Secret"
			if sa != "" {
				msg += " for ServiceAccount " + sa
			}
			p.Report(Location{Path: "type", Message: msg})
		}
	},
}
