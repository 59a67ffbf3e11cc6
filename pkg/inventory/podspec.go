package inventory

import "k8s.io/apimachinery/pkg/runtime/schema"

// PodTemplate is the pod a workload object runs: its metadata and spec, with
// the field path of the spec inside the owning object.
type PodTemplate struct {
	Meta     map[string]any // template metadata (labels, annotations); may be nil
	Spec     map[string]any
	SpecPath string // e.g. "spec.template.spec"
	// Batch is true for pods that run to completion: Jobs, CronJobs, and bare
	// Pods whose restartPolicy is Never or OnFailure.
	Batch bool
}

// ContainerSet names the three lists of containers a pod spec can have.
type ContainerSet string

// Container lists of a pod spec.
const (
	Containers          ContainerSet = "containers"
	InitContainers      ContainerSet = "initContainers"
	EphemeralContainers ContainerSet = "ephemeralContainers"
)

// AllContainerSets lists every container list, in the order PSA reports them.
var AllContainerSets = []ContainerSet{Containers, InitContainers, EphemeralContainers}

// Container is one container of a pod spec with its field path.
type Container struct {
	Set   ContainerSet
	Index int
	Name  string
	Spec  map[string]any
	Path  string // e.g. "spec.template.spec.containers[1]"
}

// templatePaths lists where each workload kind keeps its pod template.
var templatePaths = map[schema.GroupKind][]string{
	KindDeployment:            {"spec", "template"},
	KindStatefulSet:           {"spec", "template"},
	KindDaemonSet:             {"spec", "template"},
	KindReplicaSet:            {"spec", "template"},
	KindReplicationController: {"spec", "template"},
	KindJob:                   {"spec", "template"},
	KindCronJob:               {"spec", "jobTemplate", "spec", "template"},
	KindPodTemplate:           {"template"},
}

// IsWorkloadKind reports whether objects of this kind carry a pod spec.
func IsWorkloadKind(gk schema.GroupKind) bool {
	_, ok := templatePaths[gk]
	return ok || gk == KindPod
}

// WorkloadKinds lists the kinds that carry a pod spec, in a fixed order.
func WorkloadKinds() []schema.GroupKind {
	return []schema.GroupKind{KindPod, KindDeployment, KindStatefulSet, KindDaemonSet, KindReplicaSet,
		KindReplicationController, KindJob, KindCronJob, KindPodTemplate}
}

// PodTemplateOf extracts the pod an object runs. ok is false for objects that
// do not carry a pod spec (or carry a malformed one).
func (o *Object) PodTemplateOf() (PodTemplate, bool) {
	if o.GK == KindPod {
		spec := MapAt(o.Content, "spec")
		if spec == nil {
			return PodTemplate{}, false
		}
		rp, _ := spec["restartPolicy"].(string)
		batch := rp == "Never" || rp == "OnFailure" || ownedByJob(o.Metadata())
		return PodTemplate{Meta: o.Metadata(), Spec: spec, SpecPath: "spec", Batch: batch}, true
	}
	path, ok := templatePaths[o.GK]
	if !ok {
		return PodTemplate{}, false
	}
	tmpl := MapAt(o.Content, path...)
	spec := MapAt(tmpl, "spec")
	if spec == nil {
		return PodTemplate{}, false
	}
	specPath := ""
	for _, p := range path {
		specPath = Join(specPath, p)
	}
	return PodTemplate{
		Meta:     MapAt(tmpl, "metadata"),
		Spec:     spec,
		SpecPath: Join(specPath, "spec"),
		Batch:    o.GK == KindJob || o.GK == KindCronJob,
	}, true
}

func ownedByJob(meta map[string]any) bool {
	refs, _ := meta["ownerReferences"].([]any)
	for _, r := range refs {
		if m, ok := r.(map[string]any); ok && m["kind"] == "Job" {
			return true
		}
	}
	return false
}

// Containers returns the containers of the given sets (all sets when none
// are given), in the order of the sets.
func (t PodTemplate) Containers(sets ...ContainerSet) []Container {
	if len(sets) == 0 {
		sets = AllContainerSets
	}
	var out []Container
	for _, set := range sets {
		list, _ := t.Spec[string(set)].([]any)
		for i, c := range list {
			cm, ok := c.(map[string]any)
			if !ok {
				continue
			}
			name, _ := cm["name"].(string)
			out = append(out, Container{Set: set, Index: i, Name: name, Spec: cm, Path: Join(t.SpecPath, string(set), i)})
		}
	}
	return out
}
