package checks

import (
	"slices"

	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// capabilitiesNotDropped reports containers (all three lists) whose
// securityContext.capabilities.drop does not include "ALL". Windows pods are
// exempt from policy v1.25. The other half of PSA check
// "capabilities_restricted" (restricted, since v1.22), the added
// capabilities, is dangerous-capability-added's.
var capabilitiesNotDropped = &Check{
	ID:       "capabilities-not-dropped",
	Category: finding.CategoryWorkload,
	Severity: finding.SeverityMedium,
	Level:    finding.LevelRestricted,
	Summary:  `A container keeps the runtime's default capabilities (capabilities.drop lacks "ALL")`,
	Doc: `Inspects securityContext.capabilities.drop of every container, init container and ephemeral
container. Allowed: a list that includes "ALL" (exactly, upper case). Without it the container keeps
the runtime defaults, such as NET_RAW (packet spoofing), CHOWN, DAC_OVERRIDE, SETUID and MKNOD, which
an attacker can use after a compromise. Pods with spec.os.name=windows are exempt since policy
v1.25. Pod Security Standards restricted control "Capabilities" (PSA check capabilities_restricted),
since policy v1.22.`,
	Remediation: `Drop every capability and add back only NET_BIND_SERVICE if the process binds a port
below 1024:

    securityContext:
      capabilities:
        drop: ["ALL"]`,
	References: []string{
		"PSS restricted: Capabilities",
		"CIS Kubernetes Benchmark 5.2.8",
		"CIS Kubernetes Benchmark 5.2.10",
		"NSA/CISA Kubernetes Hardening Guide: Kubernetes Pod security (Pod security enforcement)",
		"MITRE ATT&CK T1611 Escape to Host",
	},
	Engine: EnginePSS,
	PSS:    bindPSA(psaBinding{"capabilities_restricted", locateDropAllMissing}),
}

// restrictedCapabilitiesApply tells whether capabilities_restricted runs
// its container checks at this version.
func restrictedCapabilitiesApply(t inventory.PodTemplate, v api.Version) bool {
	return since(v, 22) && !(since(v, 25) && windowsPod(t))
}

func locateDropAllMissing(t inventory.PodTemplate, v api.Version) []Location {
	if !restrictedCapabilitiesApply(t, v) {
		return nil
	}
	var out []Location
	for _, c := range t.Containers() {
		sc, _ := securityContext(c)
		caps := inventory.MapAt(sc, "capabilities")
		drop, _ := stringsOf(inventory.SliceAt(caps, "drop"))
		if caps != nil && slices.Contains(drop, "ALL") {
			continue
		}
		msg := who(c) + ` does not drop all capabilities: add securityContext.capabilities.drop: ["ALL"]`
		path := nearest(c.Spec, c.Path, "securityContext", "capabilities")
		if _, ok := caps["drop"].([]any); ok {
			path = inventory.Join(path, "drop")
			msg = who(c) + ` drops some capabilities but not "ALL": use capabilities.drop: ["ALL"]`
		}
		out = append(out, Location{Path: path, Container: c.Name, Message: msg})
	}
	return out
}
