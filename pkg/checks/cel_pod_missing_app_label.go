package checks

import (
	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/finding"
)

// podMissingAppLabel inspects the labels of the pod (a bare Pod's
// metadata.labels, or the pod template's). Allowed: app.kubernetes.io/name
// or app with a non-empty value.
var podMissingAppLabel = &Check{
	ID:       "pod-missing-app-label",
	Category: finding.CategoryNetwork,
	Severity: finding.SeverityLow,
	Summary:  "Pod has no app label",
	Doc: "Inspects the pod's labels (metadata.labels of a Pod, spec.template.metadata.labels of a " +
		"workload). Allowed: app.kubernetes.io/name or app with a non-empty value. Labels are the " +
		"firewall tags of Kubernetes: NetworkPolicies, Services and reports select pods by them, " +
		"and a pod without an app label cannot be given a precise policy.",
	Remediation: "Label the pod template:\n\n" +
		"    template:\n      metadata:\n        labels:\n          app.kubernetes.io/name: api\n",
	References: []string{refNSANetworkSep, "NSA/CISA Kubernetes Hardening Guide v1.2: Network policies"},
	Engine:     EngineCEL,
	Guardrail: &cel.Guardrail{
		Scope: cel.ScopePod,
		Expression: `podMeta.?labels[?'app.kubernetes.io/name'].orValue('') != '' ||
  podMeta.?labels[?'app'].orValue('') != ''`,
		Message:   "pod labels have neither app.kubernetes.io/name nor app",
		FieldPath: "metadata.labels",
	},
}
