package checks

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// legacyServiceAccountToken reports Secrets of type
// kubernetes.io/service-account-token. The token controller fills such a
// Secret with a token that never expires; projected tokens (TokenRequest)
// are short-lived and bound to the pod. The finding says whether a workload
// of the Secret's namespace still uses it: as a secret volume
// (volumes[].secret.secretName), a projected secret source
// (volumes[].projected.sources[].secret.name), or in the environment
// (env[].valueFrom.secretKeyRef.name, envFrom[].secretRef.name).
var legacyServiceAccountToken = &Check{
	ID:       "legacy-service-account-token",
	Category: finding.CategoryIdentity,
	Severity: finding.SeverityHigh,
	Summary:  "Secret of type kubernetes.io/service-account-token holds a non-expiring API token",
	Doc: "Checks the type of Secrets. A Secret of type kubernetes.io/service-account-token is filled by the " +
		"token controller with a ServiceAccount token that never expires and is not bound to any pod; it " +
		"stays valid until the Secret is deleted, so a copy leaked in a log or a backup works forever. The " +
		"finding names the workloads of the inventory that still mount the Secret or read it into their " +
		"environment, or says that none does.",
	Remediation: "Delete the Secret and let workloads use projected ServiceAccount tokens (the default since " +
		"Kubernetes 1.22) with a bounded expirationSeconds; for tools outside the cluster, issue short-lived " +
		"tokens with `kubectl create token`.",
	References: []string{"CIS Kubernetes Benchmark 5.1.6", "NSA/CISA Kubernetes Hardening Guide: Authentication and authorization", "MITRE ATT&CK T1528"},
	Engine:     EngineGo,
	Kinds:      []schema.GroupKind{inventory.KindSecret},
	Run: func(p *Pass, o *inventory.Object) {
		if t, _ := o.Content["type"].(string); t != "kubernetes.io/service-account-token" {
			return
		}
		sa, _ := o.Annotation("kubernetes.io/service-account.name")
		msg := "legacy long-lived ServiceAccount token Secret"
		if sa != "" {
			msg += " for ServiceAccount " + sa
		}
		users := secretUsers(p.Inv, o.Ref.Namespace, o.Ref.Name)
		var related []finding.Related
		if len(users) == 0 {
			msg += ", not used by any workload in the inventory: delete it"
		} else {
			msg += ", still used by " + listObjects(users) + ": move it to a projected token first"
			for _, w := range users[:min(len(users), maxRelatedWorkloads)] {
				related = append(related, finding.Related{Role: "workload", Object: w.Ref})
			}
		}
		p.Report(Location{Path: "type", Message: msg, Related: related})
	},
}

// secretUsers returns the workloads of a namespace that mount a Secret or
// read it into their environment, once each, PodTemplates left out.
func secretUsers(inv *inventory.Inventory, ns, name string) []*inventory.Object {
	if name == "" {
		return nil
	}
	var out []*inventory.Object
	seen := map[finding.ObjectRef]bool{}
	for _, o := range inv.InNamespace(ns) {
		if o.GK == inventory.KindPodTemplate || seen[o.Ref] {
			continue
		}
		t, ok := o.PodTemplateOf()
		if ok && podUsesSecret(t, name) {
			seen[o.Ref] = true
			out = append(out, o)
		}
	}
	return out
}

func podUsesSecret(t inventory.PodTemplate, name string) bool {
	vols, _ := t.Spec["volumes"].([]any)
	for _, v := range vols {
		vm, _ := v.(map[string]any)
		if s, _ := inventory.StringAt(vm, "secret", "secretName"); s == name {
			return true
		}
		for _, src := range inventory.SliceAt(vm, "projected", "sources") {
			sm, _ := src.(map[string]any)
			if s, _ := inventory.StringAt(sm, "secret", "name"); s == name {
				return true
			}
		}
	}
	for _, c := range t.Containers() {
		for _, e := range inventory.SliceAt(c.Spec, "env") {
			em, _ := e.(map[string]any)
			if s, _ := inventory.StringAt(em, "valueFrom", "secretKeyRef", "name"); s == name {
				return true
			}
		}
		for _, e := range inventory.SliceAt(c.Spec, "envFrom") {
			em, _ := e.(map[string]any)
			if s, _ := inventory.StringAt(em, "secretRef", "name"); s == name {
				return true
			}
		}
	}
	return false
}
