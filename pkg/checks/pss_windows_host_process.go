package checks

import (
	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// windowsHostProcess reports securityContext.windowsOptions.hostProcess=true
// on the pod or on any container. Allowed: false or unset. PSA check
// "windowsHostProcess" (baseline, since v1.0).
var windowsHostProcess = &Check{
	ID:       "windows-host-process",
	Category: finding.CategoryWorkload,
	Severity: finding.SeverityCritical,
	Level:    finding.LevelBaseline,
	Summary:  "A Windows container runs as a HostProcess container, directly on the node",
	Doc: `Inspects spec.securityContext.windowsOptions.hostProcess and
securityContext.windowsOptions.hostProcess of every container, init container and ephemeral
container. Allowed: false or unset. A HostProcess container runs as a process on the Windows node,
with the node's network and file system and, typically, SYSTEM privileges: the Windows equivalent of
a privileged container. Pod Security Standards baseline control "HostProcess" (PSA check
windowsHostProcess), every policy version since v1.0.`,
	Remediation: `Remove windowsOptions.hostProcess (or set it to false) from the pod and its containers:

    securityContext:
      windowsOptions:
        hostProcess: false

Node agents that need it belong in a privileged, owned namespace with a documented exception.`,
	References: []string{
		"PSS baseline: HostProcess",
		"CIS Kubernetes Benchmark 5.2.11",
		"NSA/CISA Kubernetes Hardening Guide: Kubernetes Pod security (Pod security enforcement)",
		"MITRE ATT&CK T1611 Escape to Host",
	},
	Engine: EnginePSS,
	PSS:    bindPSA(psaBinding{"windowsHostProcess", locateHostProcess}),
}

func locateHostProcess(t inventory.PodTemplate, _ api.Version) []Location {
	var out []Location
	podSC, podPath := podSecurityContext(t)
	if b, _ := inventory.BoolAt(podSC, "windowsOptions", "hostProcess"); b {
		out = append(out, Location{
			Path:    inventory.Join(podPath, "windowsOptions", "hostProcess"),
			Message: "the pod sets securityContext.windowsOptions.hostProcess=true",
		})
	}
	for _, c := range t.Containers() {
		sc, scPath := securityContext(c)
		if b, _ := inventory.BoolAt(sc, "windowsOptions", "hostProcess"); b {
			out = append(out, Location{
				Path: inventory.Join(scPath, "windowsOptions", "hostProcess"), Container: c.Name,
				Message: who(c) + " sets securityContext.windowsOptions.hostProcess=true",
			})
		}
	}
	return out
}
