package checks

import (
	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// procMountUnmasked reports containers (all three lists) whose
// securityContext.procMount is set to anything but "Default" (in practice
// "Unmasked"). PSA check "procMount" (baseline, since v1.0; from v1.35 pods
// with spec.hostUsers=false are exempt) and "procMount_restricted"
// (restricted, since v1.35, no exemption).
var procMountUnmasked = &Check{
	ID:       "proc-mount-unmasked",
	Category: finding.CategoryWorkload,
	Severity: finding.SeverityHigh,
	Level:    finding.LevelBaseline,
	Summary:  "A container unmasks /proc (procMount other than Default)",
	Doc: `Inspects securityContext.procMount of every container, init container and ephemeral container.
Allowed: unset or "Default". The default mount masks and makes read-only the parts of /proc that
expose the node (/proc/kcore, /proc/sysrq-trigger, /proc/sys...); "Unmasked" removes that protection.
From policy v1.35 the baseline level accepts any value for pods in a user namespace
(spec.hostUsers: false), the restricted level never does. Pod Security Standards baseline control
"/proc Mount Type" (PSA check procMount, since v1.0) and its restricted counterpart (PSA check
procMount_restricted, since v1.35).`,
	Remediation: `Remove securityContext.procMount (or set it to Default):

    securityContext:
      procMount: Default

Nested container builds that need an unmasked /proc should run in a user namespace
(spec.hostUsers: false) in a namespace enforcing baseline only.`,
	References: []string{
		"PSS baseline: /proc Mount Type",
		"NSA/CISA Kubernetes Hardening Guide: Kubernetes Pod security (Pod security enforcement)",
		"MITRE ATT&CK T1611 Escape to Host",
	},
	Engine: EnginePSS,
	PSS: bindPSA(
		psaBinding{"procMount", locateProcMount(true)},
		psaBinding{"procMount_restricted", locateProcMount(false)},
	),
}

// locateProcMount reports non-default procMount values; relaxed is the
// baseline check's user-namespace exemption.
func locateProcMount(relaxed bool) psaLocator {
	return func(t inventory.PodTemplate, v api.Version) []Location {
		if relaxed && since(v, 35) && userNamespaced(t) {
			return nil
		}
		var out []Location
		for _, c := range t.Containers() {
			sc, scPath := securityContext(c)
			if pm, ok := sc["procMount"].(string); ok && pm != "Default" {
				out = append(out, Location{
					Path: inventory.Join(scPath, "procMount"), Container: c.Name,
					Message: who(c) + " sets securityContext.procMount=" + pm,
				})
			}
		}
		return out
	}
}
