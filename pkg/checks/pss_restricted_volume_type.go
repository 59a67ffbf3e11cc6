package checks

import (
	"fmt"

	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// restrictedVolumeType reports spec.volumes[*] whose source is not one of
// configMap, csi, downwardAPI, emptyDir, ephemeral, image,
// persistentVolumeClaim, projected or secret (hostPath volumes are left to
// host-path-volume). A volume with no source is allowed: the API server
// makes it an emptyDir. PSA check "restrictedVolumes" (restricted, every
// policy version).
var restrictedVolumeType = &Check{
	ID:       "restricted-volume-type",
	Category: finding.CategoryWorkload,
	Severity: finding.SeverityMedium,
	Level:    finding.LevelRestricted,
	Summary:  "A volume uses a source outside the restricted set (NFS, iSCSI, cloud disks, gitRepo...)",
	Doc: `Inspects the source of every spec.volumes[*]. Allowed sources: configMap, csi, downwardAPI,
emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret. Inline sources such as nfs,
iscsi, rbd, cephfs, glusterfs, fc, flexVolume, gitRepo and the in-tree cloud disks bypass the
storage admission of PersistentVolumes, let any pod author mount arbitrary remote storage with
node credentials, and several (gitRepo, flexVolume) run code on the node. hostPath is reported by
host-path-volume. Pod Security Standards restricted control "Volume Types" (PSA check
restrictedVolumes), every policy version since v1.0.`,
	Remediation: `Move the storage behind a PersistentVolume and claim it, or use a CSI driver; replace
gitRepo by an init container that clones into an emptyDir:

    volumes:
    - name: data
      persistentVolumeClaim:
        claimName: data`,
	References: []string{
		"PSS restricted: Volume Types",
		"NSA/CISA Kubernetes Hardening Guide: Kubernetes Pod security (Pod security enforcement)",
		"MITRE ATT&CK T1611 Escape to Host",
	},
	Engine: EnginePSS,
	PSS:    bindPSA(psaBinding{"restrictedVolumes", locateRestrictedVolumes}),
}

// allowedVolumeSources are the sources the restricted level accepts.
var allowedVolumeSources = []string{
	"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
	"persistentVolumeClaim", "projected", "secret",
}

// restrictedVolumeSources are the other sources, in the order the library
// names them.
var restrictedVolumeSources = []string{
	"hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi",
	"glusterfs", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "fc", "azureFile",
	"vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "portworxVolume",
	"scaleIO", "storageos",
}

// restrictedVolumeSource tells whether a volume fails the restricted check
// and by which source. Like the typed check, an allowed source wins over a
// restricted one, and a volume without any source is an emptyDir.
func restrictedVolumeSource(vol map[string]any) (typ string, bad bool) {
	for _, k := range allowedVolumeSources {
		if _, ok := vol[k].(map[string]any); ok {
			return "", false
		}
	}
	for _, k := range restrictedVolumeSources {
		if _, ok := vol[k].(map[string]any); ok {
			return k, true
		}
	}
	return "", false
}

func locateRestrictedVolumes(t inventory.PodTemplate, _ api.Version) []Location {
	var out []Location
	vols, _ := t.Spec["volumes"].([]any)
	for i, v := range vols {
		vm, _ := v.(map[string]any)
		typ, bad := restrictedVolumeSource(vm)
		if !bad || typ == "hostPath" {
			continue
		}
		name, _ := vm["name"].(string)
		out = append(out, Location{
			Path:    inventory.Join(t.SpecPath, "volumes", i, typ),
			Message: fmt.Sprintf("volume %q uses restricted volume type %s", name, typ),
		})
	}
	return out
}
