package checks

import (
	"fmt"
	"strings"

	"github.com/kharden/kharden/pkg/analysis/rbac"
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
//
// When the inventory holds RBAC objects, the finding says what the token is
// worth: nothing (no permission beyond the API server's discovery roles, so
// the token is not needed), or reading secrets or creating workloads in the
// pod's namespace, which raises it to high.
var serviceAccountTokenAutomounted = &Check{
	ID:       "service-account-token-automounted",
	Category: finding.CategoryIdentity,
	Severity: finding.SeverityMedium,
	Summary:  "Pod gets a ServiceAccount token mounted although neither the pod nor its ServiceAccount asks for one",
	Doc: "Checks spec.automountServiceAccountToken of the pod (or pod template) and, when the pod leaves it " +
		"unset, automountServiceAccountToken of the ServiceAccount the pod runs as. Kubernetes mounts a token " +
		"unless one of them says false, the pod's value winning. A mounted token is the first thing an attacker " +
		"with code execution in the pod uses against the API server; most applications never call the API. " +
		"When the scan includes RBAC objects, the finding says whether the ServiceAccount has any API " +
		"permission besides the discovery roles every identity holds (if not, the token is useless), and is " +
		"raised to high when the ServiceAccount can get or list secrets, or create pods or deployments, in the " +
		"pod's namespace.",
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
	sa := inventory.ServiceAccountName(t.Spec)
	if v, set := t.Spec["automountServiceAccountToken"].(bool); set {
		if v {
			p.Report(tokenWorth(p, o.Ref.Namespace, sa,
				Location{Path: path, Message: "automountServiceAccountToken is true: the pod gets an API token"}))
		}
		return
	}
	for _, s := range p.Inv.Get(inventory.KindServiceAccount, o.Ref.Namespace, sa) {
		if v, set := s.Content["automountServiceAccountToken"].(bool); set && !v {
			return
		}
	}
	p.Report(tokenWorth(p, o.Ref.Namespace, sa, Location{Path: path, Message: fmt.Sprintf(
		"neither the pod nor its ServiceAccount %q sets automountServiceAccountToken: false: the pod gets an API token", sa)}))
}

// tokenRisks are the requests that make a mounted token high severity: a
// stolen token then reads the namespace's secrets or runs code as any of
// its ServiceAccounts.
var tokenRisks = []rbac.Request{
	{Verb: "get", Resource: "secrets"},
	{Verb: "list", Resource: "secrets"},
	{Verb: "create", Resource: "pods"},
	{Verb: "create", APIGroup: "apps", Resource: "deployments"},
}

// tokenWorth adds to the finding what the ServiceAccount's token can do,
// when the inventory has RBAC objects to tell. Objects without a namespace
// are left alone: their ServiceAccount cannot be matched to binding
// subjects.
func tokenWorth(p *Pass, ns, sa string, loc Location) Location {
	idx := rbac.For(p.Inv)
	if ns == "" || !idx.HasRBAC() {
		return loc
	}
	u := rbac.ServiceAccount(ns, sa)
	var can []string // "get, list secrets", one entry per resource
	var via *rbac.Binding
	last := ""
	for _, req := range tokenRisks {
		req.Namespace = ns
		ok, grants := idx.Authorize(u, req, false)
		if !ok {
			continue
		}
		if res := resourceName(req); res == last {
			can[len(can)-1] = strings.TrimSuffix(can[len(can)-1], " "+res) + ", " + req.Verb + " " + res
		} else {
			can, last = append(can, req.Verb+" "+res), res
		}
		if via == nil && len(grants) > 0 {
			via = grants[0].Binding
		}
	}
	if len(can) > 0 {
		high := finding.SeverityHigh
		loc.Severity = &high
		loc.Message += fmt.Sprintf("; its ServiceAccount can %s in namespace %s", strings.Join(can, " and "), ns)
		if via != nil {
			loc.Message += " (via " + bindingName(via) + ")"
			loc.Related = append(loc.Related, finding.Related{Role: "binding", Object: via.Ref})
		}
		return loc
	}
	if !hasAnyPermission(p.Inv, idx, u) {
		loc.Message += "; the ServiceAccount has no API permissions: the token is not needed, disable it"
	}
	return loc
}

// resourceName is "secrets" or "deployments.apps".
func resourceName(req rbac.Request) string {
	if req.APIGroup == "" {
		return req.Resource
	}
	return req.Resource + "." + req.APIGroup
}

// hasAnyPermission reports whether a binding other than the API server's
// own grants the user anything, or may: a binding to a role missing from
// the inventory (admin, edit, view are not in manifests) counts.
func hasAnyPermission(inv *inventory.Inventory, idx *rbac.Index, u rbac.User) bool {
	for _, perm := range idx.Permissions(u) {
		if !perm.Grant.Binding.BuiltIn {
			return true
		}
	}
	for _, b := range danglingBindings(inv, idx) {
		for _, s := range b.Subjects {
			if b.AppliesTo(s, u) {
				return true
			}
		}
	}
	return false
}

type danglingBindingsKey struct{}

// danglingBindings are the bindings, not the API server's own, whose role is
// not in the inventory; found once per inventory.
func danglingBindings(inv *inventory.Inventory, idx *rbac.Index) []*rbac.Binding {
	return inv.Memo(danglingBindingsKey{}, func() any {
		var out []*rbac.Binding
		for _, b := range idx.Bindings {
			if b.Role == nil && !b.BuiltIn {
				out = append(out, b)
			}
		}
		return out
	}).([]*rbac.Binding)
}
