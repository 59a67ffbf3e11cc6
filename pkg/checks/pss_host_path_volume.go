package checks

import (
	"fmt"

	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// hostPathVolume reports spec.volumes[*].hostPath. Allowed: unset. PSA
// checks "hostPathVolumes" (baseline) and "restrictedVolumes" (restricted,
// which replaces it at that level); every policy version.
var hostPathVolume = &Check{
	ID:       "host-path-volume",
	Category: finding.CategoryWorkload,
	Severity: finding.SeverityCritical,
	Level:    finding.LevelBaseline,
	Summary:  "A volume mounts a directory of the node (hostPath)",
	Doc: `Inspects spec.volumes[*].hostPath. Allowed: unset. A hostPath volume gives the pod the node's
files: the container runtime socket, kubelet credentials, other pods' data, /etc. Even read-only
mounts leak secrets; writable ones are a direct escape to the node. Pod Security Standards baseline
control "HostPath Volumes" (PSA check hostPathVolumes; at the restricted level the check
restrictedVolumes covers it), every policy version since v1.0.`,
	Remediation: `Replace the hostPath volume by an emptyDir for scratch space, a PersistentVolumeClaim for
data, or a ConfigMap/Secret/projected volume for configuration:

    volumes:
    - name: data
      persistentVolumeClaim:
        claimName: data`,
	References: []string{
		"PSS baseline: HostPath Volumes",
		"CIS Kubernetes Benchmark 5.2.12",
		"NSA/CISA Kubernetes Hardening Guide: Kubernetes Pod security (Pod security enforcement)",
		"MITRE ATT&CK T1611 Escape to Host",
	},
	Engine: EnginePSS,
	PSS: bindPSA(
		psaBinding{"hostPathVolumes", locateHostPathVolumes(false)},
		psaBinding{"restrictedVolumes", locateHostPathVolumes(true)},
	),
}

// locateHostPathVolumes reports volumes whose source is hostPath. A volume
// that also names an allowed source (invalid, but decodable) passes the
// restricted check, which looks at allowed sources first; the baseline
// check does not.
func locateHostPathVolumes(restricted bool) psaLocator {
	return func(t inventory.PodTemplate, _ api.Version) []Location {
		return hostPathVolumes(t, restricted)
	}
}

func hostPathVolumes(t inventory.PodTemplate, restricted bool) []Location {
	var out []Location
	vols, _ := t.Spec["volumes"].([]any)
	for i, v := range vols {
		vm, _ := v.(map[string]any)
		hp, ok := vm["hostPath"].(map[string]any)
		if !ok {
			continue
		}
		if typ, bad := restrictedVolumeSource(vm); restricted && (!bad || typ != "hostPath") {
			continue
		}
		name, _ := vm["name"].(string)
		msg := fmt.Sprintf("volume %q mounts a node directory", name)
		if p, _ := hp["path"].(string); p != "" {
			msg = fmt.Sprintf("volume %q mounts node directory %s", name, p)
		}
		out = append(out, Location{Path: inventory.Join(t.SpecPath, "volumes", i, "hostPath"), Message: msg})
	}
	return out
}
