package checks

import (
	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// runAsRoot reports pods whose containers may run as root:
// securityContext.runAsNonRoot must be true on every container, directly or
// inherited from spec.securityContext (PSA check "runAsNonRoot", restricted,
// since v1.0), and runAsUser must not be 0 at pod or container level (PSA
// check "runAsUser", restricted, since v1.23). From policy v1.35 pods with
// spec.hostUsers=false (a user namespace) are exempt from both.
var runAsRoot = &Check{
	ID:       "run-as-root",
	Category: finding.CategoryWorkload,
	Severity: finding.SeverityHigh,
	Level:    finding.LevelRestricted,
	Summary:  "Containers may run as root (runAsNonRoot not true, or runAsUser 0)",
	Doc: `Inspects spec.securityContext.runAsNonRoot and runAsUser, and the same fields of every
container, init container and ephemeral container's securityContext. Allowed: runAsNonRoot true on
the pod (inherited by containers that do not set it) or on every container, never false; runAsUser
unset or non-zero. Root in a container is root on the node's kernel: one kernel or runtime bug, or one
writable host mount, away from the node. Pods with hostUsers: false run in a user namespace and are
exempt since policy v1.35. Pod Security Standards restricted controls "Running as Non-root" (PSA
check runAsNonRoot, since v1.0) and "Running as Non-root user" (PSA check runAsUser, since v1.23).`,
	Remediation: `Build the image with a non-root USER and require it in the pod:

    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001   # any non-zero UID, optional when the image has a numeric USER

Remove runAsUser: 0 and runAsNonRoot: false wherever they are set.`,
	References: []string{
		"PSS restricted: Running as Non-root",
		"PSS restricted: Running as Non-root user",
		"CIS Kubernetes Benchmark 5.2.7",
		"NSA/CISA Kubernetes Hardening Guide: Kubernetes Pod security (Non-root containers and rootless container engines)",
		"MITRE ATT&CK T1611 Escape to Host",
	},
	Engine: EnginePSS,
	PSS: bindPSA(
		psaBinding{"runAsNonRoot", locateRunAsNonRoot},
		psaBinding{"runAsUser", locateRunAsUser},
	),
}

func locateRunAsNonRoot(t inventory.PodTemplate, v api.Version) []Location {
	if since(v, 35) && userNamespaced(t) {
		return nil
	}
	var out []Location
	podSC, podPath := podSecurityContext(t)
	podNonRoot, podSet := podSC["runAsNonRoot"].(bool)
	if podSet && !podNonRoot {
		out = append(out, Location{
			Path:    inventory.Join(podPath, "runAsNonRoot"),
			Message: "the pod sets securityContext.runAsNonRoot=false",
		})
	}
	for _, c := range t.Containers() {
		sc, scPath := securityContext(c)
		nonRoot, set := sc["runAsNonRoot"].(bool)
		switch {
		case set && !nonRoot:
			out = append(out, Location{
				Path: inventory.Join(scPath, "runAsNonRoot"), Container: c.Name,
				Message: who(c) + " sets securityContext.runAsNonRoot=false",
			})
		case !set && !podSet:
			out = append(out, Location{
				Path: nearest(c.Spec, c.Path, "securityContext"), Container: c.Name,
				Message: who(c) + " may run as root: neither it nor the pod sets securityContext.runAsNonRoot=true; add it to the pod or container securityContext",
			})
		}
		// Unset under a pod-level false: the pod's field is the one to fix
		// and is reported above.
	}
	return out
}

func locateRunAsUser(t inventory.PodTemplate, v api.Version) []Location {
	if !since(v, 23) || since(v, 35) && userNamespaced(t) {
		return nil
	}
	var out []Location
	podSC, podPath := podSecurityContext(t)
	if uid, ok := intOf(podSC["runAsUser"]); ok && uid == 0 {
		out = append(out, Location{
			Path:    inventory.Join(podPath, "runAsUser"),
			Message: "the pod sets securityContext.runAsUser=0 (root)",
		})
	}
	for _, c := range t.Containers() {
		sc, scPath := securityContext(c)
		if uid, ok := intOf(sc["runAsUser"]); ok && uid == 0 {
			out = append(out, Location{
				Path: inventory.Join(scPath, "runAsUser"), Container: c.Name,
				Message: who(c) + " sets securityContext.runAsUser=0 (root)",
			})
		}
	}
	return out
}
