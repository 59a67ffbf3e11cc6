package checks

import (
	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// privilegeEscalationAllowed reports containers (all three lists) whose
// securityContext.allowPrivilegeEscalation is not explicitly false.
// Allowed: false. Windows pods (spec.os.name=windows) are exempt from policy
// v1.25. PSA check "allowPrivilegeEscalation" (restricted, since v1.8).
var privilegeEscalationAllowed = &Check{
	ID:       "privilege-escalation-allowed",
	Category: finding.CategoryWorkload,
	Severity: finding.SeverityHigh,
	Level:    finding.LevelRestricted,
	Summary:  "A container may gain more privileges than its parent process (allowPrivilegeEscalation not false)",
	Doc: `Inspects securityContext.allowPrivilegeEscalation of every container, init container and
ephemeral container. Allowed: false, set explicitly (unset means true). When escalation is allowed,
set-user-ID binaries and file capabilities can raise a process's privileges (no_new_privs is off),
the usual second step after code execution in a container. Pods with spec.os.name=windows are exempt
since policy v1.25. Pod Security Standards restricted control "Privilege Escalation" (PSA check
allowPrivilegeEscalation), since policy v1.8.`,
	Remediation: `Set allowPrivilegeEscalation to false in each container's securityContext:

    securityContext:
      allowPrivilegeEscalation: false`,
	References: []string{
		"PSS restricted: Privilege Escalation",
		"CIS Kubernetes Benchmark 5.2.6",
		"NSA/CISA Kubernetes Hardening Guide: Kubernetes Pod security (Pod security enforcement)",
		"MITRE ATT&CK T1548.001 Abuse Elevation Control Mechanism: Setuid and Setgid",
	},
	Engine: EnginePSS,
	PSS:    bindPSA(psaBinding{"allowPrivilegeEscalation", locateAllowPrivilegeEscalation}),
}

func locateAllowPrivilegeEscalation(t inventory.PodTemplate, v api.Version) []Location {
	if !since(v, 8) || since(v, 25) && windowsPod(t) {
		return nil
	}
	var out []Location
	for _, c := range t.Containers() {
		sc, scPath := securityContext(c)
		switch ape, ok := sc["allowPrivilegeEscalation"].(bool); {
		case !ok:
			out = append(out, Location{
				Path: nearest(c.Spec, c.Path, "securityContext"), Container: c.Name,
				Message: who(c) + " does not set securityContext.allowPrivilegeEscalation=false (unset means true): add it",
			})
		case ape:
			out = append(out, Location{
				Path: inventory.Join(scPath, "allowPrivilegeEscalation"), Container: c.Name,
				Message: who(c) + " sets securityContext.allowPrivilegeEscalation=true",
			})
		}
	}
	return out
}
