package checks

import (
	"fmt"

	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// hostProbeOrLifecycleHost reports the host field of probe and lifecycle
// handlers: {liveness,readiness,startup}Probe.{httpGet,tcpSocket}.host and
// lifecycle.{postStart,preStop}.{httpGet,tcpSocket}.host of every container.
// Allowed: unset or empty. PSA check "hostProbesAndHostLifecycle"
// (baseline, since v1.34).
var hostProbeOrLifecycleHost = &Check{
	ID:       "host-probe-or-lifecycle-host",
	Category: finding.CategoryWorkload,
	Severity: finding.SeverityMedium,
	Level:    finding.LevelBaseline,
	Summary:  "A probe or lifecycle hook makes the kubelet connect to another host",
	Doc: `Inspects the host field of httpGet and tcpSocket handlers in livenessProbe, readinessProbe,
startupProbe and lifecycle.postStart/preStop of every container, init container and ephemeral
container. Allowed: unset or empty (the pod's own IP). A host makes the kubelet, from the node's
network, open connections to any address the pod author picks: a server-side request forgery
primitive against node-local and internal services. Pod Security Standards baseline control "Probes
and lifecycle hooks" (PSA check hostProbesAndHostLifecycle), since policy v1.34.`,
	Remediation: `Remove host from the probe or hook so that the kubelet targets the pod itself:

    livenessProbe:
      httpGet:
        path: /healthz
        port: 8080   # no host`,
	References: []string{
		"PSS baseline: Probes and lifecycle hooks",
		"NSA/CISA Kubernetes Hardening Guide: Network separation and hardening",
		"MITRE ATT&CK T1090 Proxy",
	},
	Engine: EnginePSS,
	PSS:    bindPSA(psaBinding{"hostProbesAndHostLifecycle", locateProbeHosts}),
}

// probeHandlers lists the handler fields the check inspects, as paths from
// the container.
var probeHandlers = [][]string{
	{"livenessProbe"}, {"readinessProbe"}, {"startupProbe"},
	{"lifecycle", "postStart"}, {"lifecycle", "preStop"},
}

func locateProbeHosts(t inventory.PodTemplate, v api.Version) []Location {
	if !since(v, 34) {
		return nil
	}
	var out []Location
	for _, c := range t.Containers() {
		for _, h := range probeHandlers {
			handler := inventory.MapAt(c.Spec, h...)
			for _, kind := range []string{"httpGet", "tcpSocket"} {
				host, _ := inventory.StringAt(handler, kind, "host")
				if host == "" {
					continue
				}
				path := inventory.Join(c.Path, h[0])
				for _, k := range h[1:] {
					path = inventory.Join(path, k)
				}
				out = append(out, Location{
					Path: inventory.Join(path, kind, "host"), Container: c.Name,
					Message: fmt.Sprintf("%s %s.%s targets host %q", who(c), joinDots(h), kind, host),
				})
			}
		}
	}
	return out
}

func joinDots(keys []string) string {
	s := keys[0]
	for _, k := range keys[1:] {
		s += "." + k
	}
	return s
}
