package checks

import (
	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// The three host namespace rules share PSA check "hostNamespaces"
// (baseline, every policy version); each locates only its own field,
// spec.hostNetwork, spec.hostPID or spec.hostIPC. Allowed: false or unset.

var hostNetwork = &Check{
	ID:       "host-network",
	Category: finding.CategoryWorkload,
	Severity: finding.SeverityCritical,
	Level:    finding.LevelBaseline,
	Summary:  "The pod shares the node's network namespace (hostNetwork)",
	Doc: `Inspects spec.hostNetwork. Allowed: false or unset. With the host network the pod sees and can
bind every interface of the node, reach services listening on localhost (kubelet, cloud metadata
proxies), sniff traffic, and bypasses NetworkPolicy. Its container ports also become host ports.
Pod Security Standards baseline control "Host Namespaces" (PSA check hostNamespaces), every policy
version since v1.0.`,
	Remediation: `Remove spec.hostNetwork (or set it to false) and expose the workload through a Service
(NodePort or LoadBalancer when it must be reachable from outside):

    spec:
      hostNetwork: false`,
	References: []string{
		"PSS baseline: Host Namespaces",
		"CIS Kubernetes Benchmark 5.2.5",
		"NSA/CISA Kubernetes Hardening Guide: Kubernetes Pod security (Pod security enforcement)",
		"MITRE ATT&CK T1611 Escape to Host",
	},
	Engine: EnginePSS,
	PSS:    bindPSA(psaBinding{"hostNamespaces", locateHostNamespace("hostNetwork", "the node's network namespace")}),
}

var hostPID = &Check{
	ID:       "host-pid",
	Category: finding.CategoryWorkload,
	Severity: finding.SeverityCritical,
	Level:    finding.LevelBaseline,
	Summary:  "The pod shares the node's process namespace (hostPID)",
	Doc: `Inspects spec.hostPID. Allowed: false or unset. With the host PID namespace the containers see
every process of the node, can read their environment and memory through /proc, and signal them;
combined with root it is a direct path to the node. Pod Security Standards baseline control "Host
Namespaces" (PSA check hostNamespaces), every policy version since v1.0.`,
	Remediation: `Remove spec.hostPID (or set it to false). For process sharing between the pod's own
containers, use shareProcessNamespace instead:

    spec:
      hostPID: false`,
	References: []string{
		"PSS baseline: Host Namespaces",
		"CIS Kubernetes Benchmark 5.2.3",
		"NSA/CISA Kubernetes Hardening Guide: Kubernetes Pod security (Pod security enforcement)",
		"MITRE ATT&CK T1611 Escape to Host",
	},
	Engine: EnginePSS,
	PSS:    bindPSA(psaBinding{"hostNamespaces", locateHostNamespace("hostPID", "the node's process namespace")}),
}

var hostIPC = &Check{
	ID:       "host-ipc",
	Category: finding.CategoryWorkload,
	Severity: finding.SeverityCritical,
	Level:    finding.LevelBaseline,
	Summary:  "The pod shares the node's IPC namespace (hostIPC)",
	Doc: `Inspects spec.hostIPC. Allowed: false or unset. With the host IPC namespace the containers can
read and write the shared memory segments and message queues of every process on the node.
Pod Security Standards baseline control "Host Namespaces" (PSA check hostNamespaces), every policy
version since v1.0.`,
	Remediation: `Remove spec.hostIPC (or set it to false); share memory between the pod's own containers
with an emptyDir volume of medium Memory instead:

    spec:
      hostIPC: false`,
	References: []string{
		"PSS baseline: Host Namespaces",
		"CIS Kubernetes Benchmark 5.2.4",
		"NSA/CISA Kubernetes Hardening Guide: Kubernetes Pod security (Pod security enforcement)",
		"MITRE ATT&CK T1611 Escape to Host",
	},
	Engine: EnginePSS,
	PSS:    bindPSA(psaBinding{"hostNamespaces", locateHostNamespace("hostIPC", "the node's IPC namespace")}),
}

// locateHostNamespace reports spec.<field> when it is true.
func locateHostNamespace(field, what string) psaLocator {
	return func(t inventory.PodTemplate, _ api.Version) []Location {
		if b, _ := t.Spec[field].(bool); !b {
			return nil
		}
		return []Location{{
			Path:    inventory.Join(t.SpecPath, field),
			Message: "the pod sets " + field + "=true and shares " + what,
		}}
	}
}
