package pss

// The API machinery's converter walks every field of the target types by
// reflection, whatever the input holds: on a typical Deployment it costs far
// more than all the checks together. The checks read a small part of the pod,
// so only that part is converted. TestMatchesLibrary proves the pruning
// loses nothing: on every fixture and corpus pod, the verdict on the pruned
// pod equals the library's on the fully converted one.

// psaPodFields are the PodSpec fields some PSA check (or a server default
// pss applies) reads.
var psaPodFields = []string{
	"hostNetwork", "hostPID", "hostIPC", "hostUsers", "os", "securityContext", "volumes",
}

// psaContainerFields are the Container fields some PSA check reads.
var psaContainerFields = []string{
	"name", "securityContext", "ports", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle",
}

var containerLists = []string{"containers", "initContainers", "ephemeralContainers"}

// pruneSpec returns a shallow copy of a pod spec holding only what the PSA
// checks read.
func pruneSpec(spec map[string]any) map[string]any {
	out := make(map[string]any, len(psaPodFields)+len(containerLists))
	for _, k := range psaPodFields {
		if v, ok := spec[k]; ok {
			out[k] = v
		}
	}
	for _, k := range containerLists {
		v, ok := spec[k]
		if !ok {
			continue
		}
		list, isList := v.([]any)
		if !isList {
			out[k] = v // let the decoder report the wrong type
			continue
		}
		pruned := make([]any, len(list))
		for i, c := range list {
			cm, isMap := c.(map[string]any)
			if !isMap {
				pruned[i] = c
				continue
			}
			pc := make(map[string]any, len(psaContainerFields))
			for _, f := range psaContainerFields {
				if fv, ok := cm[f]; ok {
					pc[f] = fv
				}
			}
			pruned[i] = pc
		}
		out[k] = pruned
	}
	return out
}

// pruneMeta keeps the annotations, the only metadata the checks read.
func pruneMeta(meta map[string]any) map[string]any {
	if a, ok := meta["annotations"]; ok {
		return map[string]any{"annotations": a}
	}
	return nil
}
