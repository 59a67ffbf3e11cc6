package checks

import (
	"fmt"

	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// unsafeSysctl reports spec.securityContext.sysctls[*].name outside the
// safe set of the policy version. PSA check "sysctls" (baseline, since
// v1.0; the safe set grew in v1.27, v1.29, v1.32 and v1.37).
var unsafeSysctl = &Check{
	ID:       "unsafe-sysctl",
	Category: finding.CategoryWorkload,
	Severity: finding.SeverityHigh,
	Level:    finding.LevelBaseline,
	Summary:  "The pod sets a kernel parameter (sysctl) outside the namespaced safe set",
	Doc: `Inspects spec.securityContext.sysctls[*].name. Allowed (latest): kernel.shm_rmid_forced,
net.ipv4.ip_local_port_range, net.ipv4.ip_unprivileged_port_start, net.ipv4.tcp_syncookies,
net.ipv4.ping_group_range (since v1.0), net.ipv4.ip_local_reserved_ports (v1.27),
net.ipv4.tcp_keepalive_time, net.ipv4.tcp_fin_timeout, net.ipv4.tcp_keepalive_intvl,
net.ipv4.tcp_keepalive_probes (v1.29), net.ipv4.tcp_rmem, net.ipv4.tcp_wmem (v1.32),
net.ipv4.tcp_slow_start_after_idle, net.ipv4.tcp_notsent_lowat (v1.37). Other sysctls are not
isolated per pod or can weaken the node (kernel.*, vm.*, most of net.*). Pod Security Standards
baseline control "Sysctls" (PSA check sysctls), since policy v1.0.`,
	Remediation: `Remove the sysctl from spec.securityContext.sysctls. If the node needs the setting, apply
it to the node pool (node configuration or a tuning DaemonSet in a privileged, owned namespace), not
from application pods.`,
	References: []string{
		"PSS baseline: Sysctls",
		"NSA/CISA Kubernetes Hardening Guide: Kubernetes Pod security (Pod security enforcement)",
		"MITRE ATT&CK T1611 Escape to Host",
	},
	Engine: EnginePSS,
	PSS:    bindPSA(psaBinding{"sysctls", locateUnsafeSysctls}),
}

// safeSysctlsSince gives the minor version each safe sysctl became allowed.
var safeSysctlsSince = map[string]int{
	"kernel.shm_rmid_forced":              0,
	"net.ipv4.ip_local_port_range":        0,
	"net.ipv4.tcp_syncookies":             0,
	"net.ipv4.ping_group_range":           0,
	"net.ipv4.ip_unprivileged_port_start": 0,
	"net.ipv4.ip_local_reserved_ports":    27,
	"net.ipv4.tcp_keepalive_time":         29,
	"net.ipv4.tcp_fin_timeout":            29,
	"net.ipv4.tcp_keepalive_intvl":        29,
	"net.ipv4.tcp_keepalive_probes":       29,
	"net.ipv4.tcp_rmem":                   32,
	"net.ipv4.tcp_wmem":                   32,
	"net.ipv4.tcp_slow_start_after_idle":  37,
	"net.ipv4.tcp_notsent_lowat":          37,
}

func locateUnsafeSysctls(t inventory.PodTemplate, v api.Version) []Location {
	podSC, podPath := podSecurityContext(t)
	list, _ := podSC["sysctls"].([]any)
	var out []Location
	for i, s := range list {
		sm, ok := s.(map[string]any)
		if !ok {
			continue // not an object: dropped by the decoder, as by the server
		}
		name, _ := sm["name"].(string)
		if minor, safe := safeSysctlsSince[name]; safe && since(v, minor) {
			continue
		}
		out = append(out, Location{
			Path:    inventory.Join(podPath, "sysctls", i, "name"),
			Message: fmt.Sprintf("the pod sets sysctl %q, which is not in the safe set", name),
		})
	}
	return out
}
