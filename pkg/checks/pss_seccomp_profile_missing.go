package checks

import (
	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// seccompProfileMissing reports containers (all three lists) that have no
// seccompProfile of their own while the pod sets none either
// (spec.securityContext.seccompProfile). Explicitly bad profiles are
// seccomp-profile-unconfined's. PSA check "seccompProfile_restricted"
// (restricted, since v1.19; Windows pods exempt from v1.25).
var seccompProfileMissing = &Check{
	ID:       "seccomp-profile-missing",
	Category: finding.CategoryWorkload,
	Severity: finding.SeverityMedium,
	Level:    finding.LevelRestricted,
	Summary:  "No seccomp profile is set for a container, so it runs without system call filtering",
	Doc: `Inspects spec.securityContext.seccompProfile and securityContext.seccompProfile of every
container, init container and ephemeral container. Allowed: the pod sets a seccompProfile of type
RuntimeDefault or Localhost (inherited by containers), or every container sets one. Kubernetes does
not apply the runtime's default profile unless asked (the kubelet's SeccompDefault is off in many
clusters), so an unset profile usually means Unconfined. Pods with spec.os.name=windows are exempt
since policy v1.25. Pod Security Standards restricted control "Seccomp" (PSA check
seccompProfile_restricted), since policy v1.19.`,
	Remediation: `Set the profile once for the whole pod:

    spec:
      securityContext:
        seccompProfile:
          type: RuntimeDefault`,
	References: []string{
		"PSS restricted: Seccomp",
		"CIS Kubernetes Benchmark 5.7.2",
		"NSA/CISA Kubernetes Hardening Guide: Kubernetes Pod security (Hardening container environments)",
		"MITRE ATT&CK T1611 Escape to Host",
	},
	Engine: EnginePSS,
	PSS:    bindPSA(psaBinding{"seccompProfile_restricted", locateSeccompMissing}),
}

func locateSeccompMissing(t inventory.PodTemplate, v api.Version) []Location {
	if !seccompApplies(t, v) {
		return nil
	}
	podSC, _ := podSecurityContext(t)
	if _, podSet := podSC["seccompProfile"].(map[string]any); podSet {
		// Valid: containers inherit it. Invalid: the pod's field is what to
		// fix, and seccomp-profile-unconfined reports it.
		return nil
	}
	var out []Location
	for _, c := range t.Containers() {
		sc, _ := securityContext(c)
		if _, ok := sc["seccompProfile"].(map[string]any); ok {
			continue
		}
		out = append(out, Location{
			Path: nearest(c.Spec, c.Path, "securityContext"), Container: c.Name,
			Message: who(c) + " has no seccompProfile and the pod sets none: add seccompProfile: {type: RuntimeDefault} to the pod or container securityContext",
		})
	}
	return out
}
