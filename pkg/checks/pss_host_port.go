package checks

import (
	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// hostPort reports container ports bound on the node: ports[*].hostPort
// other than 0 in any container list, and, in a pod with hostNetwork=true,
// ports of containers and init containers without a hostPort (the API
// server defaults it to the containerPort). Allowed: unset or 0. PSA check
// "hostPorts" (baseline, every policy version).
var hostPort = &Check{
	ID:       "host-port",
	Category: finding.CategoryWorkload,
	Severity: finding.SeverityHigh,
	Level:    finding.LevelBaseline,
	Summary:  "A container port is bound on the node's network interfaces (hostPort)",
	Doc: `Inspects ports[*].hostPort of every container, init container and ephemeral container.
Allowed: unset or 0. A host port exposes the container on every node address, outside Services and
usually outside NetworkPolicy, and pins the pod to nodes where the port is free. With
spec.hostNetwork=true the API server sets each hostPort to its containerPort, so those ports are
reported too. Pod Security Standards baseline control "HostPorts" (PSA check hostPorts), every policy
version since v1.0.`,
	Remediation: `Remove hostPort from the container ports and expose the workload with a Service:

    ports:
    - containerPort: 8080   # no hostPort

Node agents that must listen on the node (ingress controllers, CNI) belong in a namespace with a
documented exception.`,
	References: []string{
		"PSS baseline: HostPorts",
		"CIS Kubernetes Benchmark 5.2.13",
		"NSA/CISA Kubernetes Hardening Guide: Network separation and hardening",
		"MITRE ATT&CK T1133 External Remote Services",
	},
	Engine: EnginePSS,
	PSS:    bindPSA(psaBinding{"hostPorts", locateHostPorts}),
}

func locateHostPorts(t inventory.PodTemplate, _ api.Version) []Location {
	hostNet, _ := t.Spec["hostNetwork"].(bool)
	var out []Location
	for _, c := range t.Containers() {
		ports, _ := c.Spec["ports"].([]any)
		for j, p := range ports {
			pm, ok := p.(map[string]any)
			if !ok {
				continue
			}
			portPath := inventory.Join(c.Path, "ports", j)
			if hp, _ := intOf(pm["hostPort"]); hp != 0 {
				out = append(out, Location{
					Path: inventory.Join(portPath, "hostPort"), Container: c.Name,
					Message: who(c) + " binds hostPort " + itoa(hp) + " on the node",
				})
				continue
			}
			// Server defaulting: with hostNetwork, hostPort := containerPort
			// (not for ephemeral containers, which the defaulting skips).
			if cp, _ := intOf(pm["containerPort"]); hostNet && cp != 0 && c.Set != inventory.EphemeralContainers {
				out = append(out, Location{
					Path: inventory.Join(portPath, "containerPort"), Container: c.Name,
					Message: "hostNetwork=true makes containerPort " + itoa(cp) + " of " + who(c) + " a host port",
				})
			}
		}
	}
	return out
}
