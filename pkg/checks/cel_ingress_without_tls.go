package checks

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// celTLSCovers is true when host r.host is served with TLS by some
// spec.tls entry: an entry without hosts (the controller's default
// certificate), the same host, or a wildcard *.domain covering exactly one
// leading label.
const celTLSCovers = `object.spec.tls.exists(t, t.?hosts.orValue([]).size() == 0 ||
    t.hosts.exists(h, h == r.host || (h.startsWith('*.') && !r.host.startsWith('*.') &&
      r.host.indexOf('.') > 0 && r.host.substring(r.host.indexOf('.')) == h.substring(1))))`

// ingressWithoutTLS inspects spec.rules[].host and spec.tls of Ingresses
// (networking.k8s.io and the old extensions group). Allowed: no rules, or a
// spec.tls whose hosts cover every rule host; a rule without host counts as
// covered once any tls entry exists.
var ingressWithoutTLS = &Check{
	ID:       "ingress-without-tls",
	Category: finding.CategoryNetwork,
	Severity: finding.SeverityMedium,
	Summary:  "Ingress serves hosts without TLS",
	Doc: "Inspects spec.rules[].host and spec.tls[].hosts of Ingresses. Allowed: an Ingress " +
		"without rules, or one whose tls entries cover every rule host (exact match, a " +
		"single-label wildcard *.example.com, or a tls entry without hosts, which uses the " +
		"controller's default certificate). Plain HTTP exposes credentials and session cookies " +
		"to anyone on the path.",
	Remediation: "Terminate TLS for every host (cert-manager can issue the Secret):\n\n" +
		"    spec:\n      tls:\n        - hosts: [shop.example.com]\n          secretName: shop-tls\n",
	References: []string{refNSANetworkSep, "MITRE ATT&CK T1557 Adversary-in-the-Middle", "MITRE ATT&CK T1040 Network Sniffing"},
	Engine:     EngineCEL,
	Kinds:      []schema.GroupKind{inventory.KindIngress},
	Guardrail: &cel.Guardrail{
		Scope: cel.ScopeObject,
		Expression: `object.?spec.?rules.orValue([]).size() == 0 ||
  (object.?spec.?tls.orValue([]).size() > 0 &&
   object.spec.rules.all(r, !has(r.host) || r.host == '' || ` + celTLSCovers + `))`,
		MessageExpression: `object.?spec.?tls.orValue([]).size() == 0 ? 'Ingress has rules but no spec.tls' :
  'hosts not covered by spec.tls: ' + object.spec.rules.filter(r, has(r.host) && r.host != '' && !(` + celTLSCovers + `)).map(r, r.host).join(', ')`,
		FieldPath: "spec.tls",
	},
}
