package checks

import (
	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// dangerousCapabilityAdded reports entries of
// securityContext.capabilities.add (all three container lists) beyond what
// the policy allows: at the restricted level (PSA check
// "capabilities_restricted", since v1.22, Windows pods exempt from v1.25)
// anything but NET_BIND_SERVICE; at the baseline level (PSA check
// "capabilities_baseline", since v1.0) anything outside the container
// runtime's default set.
var dangerousCapabilityAdded = &Check{
	ID:       "dangerous-capability-added",
	Category: finding.CategoryWorkload,
	Severity: finding.SeverityCritical,
	Level:    finding.LevelBaseline,
	Summary:  "A container adds Linux capabilities beyond NET_BIND_SERVICE",
	Doc: `Inspects securityContext.capabilities.add of every container, init container and ephemeral
container. Allowed at the restricted level: nothing, or NET_BIND_SERVICE. The baseline level also
accepts the container runtime's defaults (AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL,
MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT) and refuses the rest, such as
SYS_ADMIN, NET_ADMIN, NET_RAW, SYS_PTRACE, SYS_MODULE, BPF or ALL, each a known container-escape or
network-attack primitive. Pod Security Standards baseline control "Capabilities" (PSA check
capabilities_baseline, since v1.0) and restricted control "Capabilities" (PSA check
capabilities_restricted, since v1.22; pods with spec.os.name=windows are exempt since v1.25).`,
	Remediation: `Remove the capability from capabilities.add; keep only NET_BIND_SERVICE when the process
binds a port below 1024 (or make it listen on a higher port):

    securityContext:
      capabilities:
        drop: ["ALL"]
        add: ["NET_BIND_SERVICE"]

Workloads that truly need SYS_ADMIN or NET_ADMIN (CNI, storage drivers) belong in a dedicated
namespace with a documented exception.`,
	References: []string{
		"PSS baseline: Capabilities",
		"PSS restricted: Capabilities",
		"CIS Kubernetes Benchmark 5.2.8",
		"CIS Kubernetes Benchmark 5.2.9",
		"NSA/CISA Kubernetes Hardening Guide: Kubernetes Pod security (Pod security enforcement)",
		"MITRE ATT&CK T1611 Escape to Host",
	},
	Engine: EnginePSS,
	PSS: bindPSA(
		psaBinding{"capabilities_baseline", locateAddedCapabilities(false)},
		psaBinding{"capabilities_restricted", locateAddedCapabilities(true)},
	),
}

// defaultCapabilities is the container runtime default set the baseline
// level lets a container add back.
var defaultCapabilities = map[string]bool{
	"AUDIT_WRITE": true, "CHOWN": true, "DAC_OVERRIDE": true, "FOWNER": true, "FSETID": true,
	"KILL": true, "MKNOD": true, "NET_BIND_SERVICE": true, "SETFCAP": true, "SETGID": true,
	"SETPCAP": true, "SETUID": true, "SYS_CHROOT": true,
}

func locateAddedCapabilities(restricted bool) psaLocator {
	return func(t inventory.PodTemplate, v api.Version) []Location {
		if restricted && !restrictedCapabilitiesApply(t, v) {
			return nil
		}
		var out []Location
		for _, c := range t.Containers() {
			sc, scPath := securityContext(c)
			caps := inventory.MapAt(sc, "capabilities")
			added, idx := stringsOf(inventory.SliceAt(caps, "add"))
			for k, name := range added {
				if restricted && name == "NET_BIND_SERVICE" || !restricted && defaultCapabilities[name] {
					continue
				}
				out = append(out, Location{
					Path: inventory.Join(scPath, "capabilities", "add", idx[k]), Container: c.Name,
					Message: who(c) + " adds capability " + name,
				})
			}
		}
		return out
	}
}
