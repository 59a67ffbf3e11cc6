package checks

import (
	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// privilegedContainer reports containers (all three lists) whose
// securityContext.privileged is true. Allowed: false or unset. PSA check
// "privileged" (baseline, every policy version).
var privilegedContainer = &Check{
	ID:       "privileged-container",
	Category: finding.CategoryWorkload,
	Severity: finding.SeverityCritical,
	Level:    finding.LevelBaseline,
	Summary:  "A container runs privileged, with every capability and full access to the node's devices",
	Doc: `Inspects securityContext.privileged of every container, init container and ephemeral container.
Allowed: false or unset. A privileged container shares almost every kernel facility with the node:
all capabilities, all devices, no seccomp or AppArmor confinement; escaping to the node is trivial.
Pod Security Standards baseline control "Privileged Containers" (PSA check privileged), in every
policy version since v1.0.`,
	Remediation: `Remove securityContext.privileged or set it to false. If the workload needs one kernel
facility, grant only that (a single capability such as NET_ADMIN, a device plugin, a CSI driver)
instead of privileged mode:

    securityContext:
      privileged: false`,
	References: []string{
		"PSS baseline: Privileged Containers",
		"CIS Kubernetes Benchmark 5.2.2",
		"NSA/CISA Kubernetes Hardening Guide: Kubernetes Pod security (Pod security enforcement)",
		"MITRE ATT&CK T1611 Escape to Host",
	},
	Engine: EnginePSS,
	PSS:    bindPSA(psaBinding{"privileged", locatePrivileged}),
}

func locatePrivileged(t inventory.PodTemplate, _ api.Version) []Location {
	var out []Location
	for _, c := range t.Containers() {
		sc, scPath := securityContext(c)
		if b, _ := sc["privileged"].(bool); b {
			out = append(out, Location{
				Path: inventory.Join(scPath, "privileged"), Container: c.Name,
				Message: who(c) + " sets securityContext.privileged=true",
			})
		}
	}
	return out
}
