package checks

import (
	"fmt"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// serviceAccountTokenAutomounted reports pods that get an API token mounted.
// It inspects the pod spec's automountServiceAccountToken and, when the pod
// leaves it unset, the automountServiceAccountToken of the ServiceAccount
// object the pod runs as (spec.serviceAccountName, or the deprecated
// spec.serviceAccount, or "default"). Allowed: false on the pod, or unset on
// the pod and false on its ServiceAccount. A ServiceAccount that is not in
// the scanned inventory is assumed to automount, as the API server's default.
var serviceAccountTokenAutomounted = &Check{
	ID:       "service-account-token-automounted",
	Category: finding.CategoryIdentity,
	Severity: finding.SeverityMedium,
	Summary:  "Pod gets a ServiceAccount token mounted although neither the pod nor its ServiceAccount asks for one",
	Doc: "Checks spec.automountServiceAccountToken of the pod (or pod template) and, when the pod leaves it " +
		"unset, automountServiceAccountToken of the ServiceAccount the pod runs as. Kubernetes mounts a token " +
		"unless one of them says false, the pod's value winning. A mounted token is the first thing an attacker " +
		"with code execution in the pod uses against the API server; most applications never call the API.",
	Remediation: "Set automountServiceAccountToken: false on the ServiceAccount (and on the pod spec), and " +
		"mount a projected token with a short expirationSeconds only in the pods that call the API.",
	References: []string{"CIS Kubernetes Benchmark 5.1.6", "NSA/CISA Kubernetes Hardening Guide: Pod security (service account tokens)", "MITRE ATT&CK T1528"},
	Engine:     EngineGo,
	Run:        runServiceAccountTokenAutomounted,
}

func runServiceAccountTokenAutomounted(p *Pass, o *inventory.Object) {
	t, ok := o.PodTemplateOf()
	if !ok {
		return
	}
	path := inventory.Join(t.SpecPath, "automountServiceAccountToken")
	if v, set := t.Spec["automountServiceAccountToken"].(bool); set {
		if v {
			p.Report(Location{Path: path, Message: "automountServiceAccountToken is true: the pod gets an API token"})
		}
		return
	}
	sa := inventory.ServiceAccountName(t.Spec)
	for _, s := range p.Inv.Get(inventory.KindServiceAccount, o.Ref.Namespace, sa) {
		if v, set := s.Content["automountServiceAccountToken"].(bool); set && !v {
			return
		}
	}
	p.Report(Location{Path: path, Message: fmt.Sprintf(
		"neither the pod nor its ServiceAccount %q sets automountServiceAccountToken: false: the pod gets an API token", sa)})
}
