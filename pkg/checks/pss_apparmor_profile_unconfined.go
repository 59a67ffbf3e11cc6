package checks

import (
	"fmt"
	"strings"

	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// apparmorProfileUnconfined reports AppArmor profiles other than the
// runtime default or a node-local one: appArmorProfile.type of the pod and
// of every container (allowed: RuntimeDefault, Localhost, unset) and the
// deprecated annotations container.apparmor.security.beta.kubernetes.io/*
// (allowed: runtime/default, localhost/*, empty). PSA check
// "appArmorProfile" (baseline, since v1.0).
var apparmorProfileUnconfined = &Check{
	ID:       "apparmor-profile-unconfined",
	Category: finding.CategoryWorkload,
	Severity: finding.SeverityHigh,
	Level:    finding.LevelBaseline,
	Summary:  "An AppArmor profile is disabled (Unconfined) or overridden",
	Doc: `Inspects spec.securityContext.appArmorProfile.type, securityContext.appArmorProfile.type of
every container, init container and ephemeral container (allowed: RuntimeDefault, Localhost, unset)
and the template annotations container.apparmor.security.beta.kubernetes.io/<container> (allowed:
runtime/default, localhost/<profile>, empty). Unconfined removes the mandatory access control
that blocks mounts, raw /proc and /sys writes and other escape steps on AppArmor nodes. Pod Security
Standards baseline control "AppArmor" (PSA check appArmorProfile), every policy version since v1.0.`,
	Remediation: `Remove the Unconfined setting, or use the runtime default profile:

    securityContext:
      appArmorProfile:
        type: RuntimeDefault

and delete container.apparmor.security.beta.kubernetes.io/* annotations set to unconfined.`,
	References: []string{
		"PSS baseline: AppArmor",
		"NSA/CISA Kubernetes Hardening Guide: Kubernetes Pod security (Hardening container environments)",
		"MITRE ATT&CK T1611 Escape to Host",
	},
	Engine: EnginePSS,
	PSS:    bindPSA(psaBinding{"appArmorProfile", locateAppArmor}),
}

const appArmorAnnotationPrefix = "container.apparmor.security.beta.kubernetes.io/"

func locateAppArmor(t inventory.PodTemplate, _ api.Version) []Location {
	var out []Location
	bad := func(sc map[string]any, scPath, owner, container string) {
		prof, ok := sc["appArmorProfile"].(map[string]any)
		if !ok {
			return
		}
		typ, _ := prof["type"].(string)
		if typ == "RuntimeDefault" || typ == "Localhost" {
			return
		}
		path, msg := inventory.Join(scPath, "appArmorProfile", "type"), fmt.Sprintf("%s sets securityContext.appArmorProfile.type=%s", owner, typ)
		if typ == "" {
			path, msg = inventory.Join(scPath, "appArmorProfile"), owner+" sets a securityContext.appArmorProfile without a type"
		}
		out = append(out, Location{Path: path, Container: container, Message: msg})
	}
	podSC, podPath := podSecurityContext(t)
	bad(podSC, podPath, "the pod", "")
	for _, c := range t.Containers() {
		sc, scPath := securityContext(c)
		bad(sc, scPath, who(c), c.Name)
	}
	ann := inventory.MapAt(t.Meta, "annotations")
	annPath := inventory.Join(templateMetaPath(t), "annotations")
	for _, k := range sortedKeys(ann) {
		val, ok := ann[k].(string)
		if !ok || !strings.HasPrefix(k, appArmorAnnotationPrefix) {
			continue
		}
		if val == "" || val == "runtime/default" || strings.HasPrefix(val, "localhost/") {
			continue
		}
		out = append(out, Location{
			Path: inventory.Join(annPath, k), Container: strings.TrimPrefix(k, appArmorAnnotationPrefix),
			Message: fmt.Sprintf("annotation %s sets AppArmor profile %q", k, val),
		})
	}
	return out
}
