package auditlog

import (
	"path"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"
)

// podSpec is what the pod detectors read from a Pod in an audit body: the
// containers of every kind with their privilege, hostPath volumes and the
// host namespaces. Only names, paths and flags are read; never env values,
// commands or anything else a pod may carry.
type podSpec struct {
	Name, Namespace string
	// Mirror is set for a kubelet's mirror of a static pod (the
	// kubernetes.io/config.mirror annotation).
	Mirror      bool
	Containers  []podContainer
	HostPaths   []hostPathVolume
	HostNetwork bool
	HostPID     bool
	HostIPC     bool
}

// podContainer is one container of the spec.
type podContainer struct {
	// Path locates it: spec.containers[0], spec.initContainers[1],
	// spec.ephemeralContainers[0].
	Path       string
	Name       string
	Ephemeral  bool
	Privileged bool
}

// hostPathVolume is a volume of type hostPath.
type hostPathVolume struct {
	Name, Path string
}

// containerLists are the pod fields holding containers, in report order.
var containerLists = []string{"containers", "initContainers", "ephemeralContainers"}

// readPodSpec reads a Pod body (a Pod, or the EphemeralContainers object
// older API servers took on pods/ephemeralcontainers). A nil or malformed
// body gives an empty spec.
func readPodSpec(body *fastjson.Value) podSpec {
	var p podSpec
	if body == nil || body.Type() != fastjson.TypeObject {
		return p
	}
	p.Name = string(body.GetStringBytes("metadata", "name"))
	p.Namespace = string(body.GetStringBytes("metadata", "namespace"))
	if ann := body.Get("metadata", "annotations"); ann != nil && ann.Type() == fastjson.TypeObject {
		p.Mirror = ann.Get("kubernetes.io/config.mirror") != nil
	}
	if string(body.GetStringBytes("kind")) == "EphemeralContainers" {
		p.readSpec(body, "")
	} else {
		p.readSpec(body.Get("spec"), "spec.")
	}
	return p
}

// readTemplateSpec reads the pod template of a workload controller's body:
// spec.template.spec, or spec.jobTemplate.spec.template.spec for a CronJob.
func readTemplateSpec(body *fastjson.Value, resource string) podSpec {
	var p podSpec
	if body == nil || body.Type() != fastjson.TypeObject {
		return p
	}
	p.Name = string(body.GetStringBytes("metadata", "name"))
	p.Namespace = string(body.GetStringBytes("metadata", "namespace"))
	if resource == "cronjobs" {
		p.readSpec(body.Get("spec", "jobTemplate", "spec", "template", "spec"), "spec.jobTemplate.spec.template.spec.")
	} else {
		p.readSpec(body.Get("spec", "template", "spec"), "spec.template.spec.")
	}
	return p
}

// readSpec reads a PodSpec object found at prefix.
func (p *podSpec) readSpec(spec *fastjson.Value, prefix string) {
	if spec == nil || spec.Type() != fastjson.TypeObject {
		return
	}
	for _, list := range containerLists {
		for i, c := range spec.GetArray(list) {
			if c.Type() != fastjson.TypeObject {
				continue
			}
			p.Containers = append(p.Containers, podContainer{
				Path:       prefix + list + "[" + strconv.Itoa(i) + "]",
				Name:       string(c.GetStringBytes("name")),
				Ephemeral:  list == "ephemeralContainers",
				Privileged: c.GetBool("securityContext", "privileged"),
			})
		}
	}
	for _, v := range spec.GetArray("volumes") {
		hp := v.Get("hostPath")
		if hp == nil || hp.Type() != fastjson.TypeObject {
			continue
		}
		p.HostPaths = append(p.HostPaths, hostPathVolume{
			Name: string(v.GetStringBytes("name")),
			Path: string(hp.GetStringBytes("path")),
		})
	}
	p.HostNetwork = spec.GetBool("hostNetwork")
	p.HostPID = spec.GetBool("hostPID")
	p.HostIPC = spec.GetBool("hostIPC")
}

// privileged returns the privileged containers.
func (p *podSpec) privileged() []podContainer {
	var out []podContainer
	for _, c := range p.Containers {
		if c.Privileged {
			out = append(out, c)
		}
	}
	return out
}

// hostNamespaces names the host namespaces the pod shares.
func (p *podSpec) hostNamespaces() []string {
	var out []string
	if p.HostNetwork {
		out = append(out, "hostNetwork")
	}
	if p.HostPID {
		out = append(out, "hostPID")
	}
	if p.HostIPC {
		out = append(out, "hostIPC")
	}
	return out
}

// criticalHostPaths give control of the node: its root, the container
// runtime's socket, the kubelet's state (its credentials and every pod's
// volumes). Mounting one of them or a directory above one is as bad.
var criticalHostPaths = []string{
	"/", "/var/run/docker.sock", "/run/docker.sock",
	"/run/containerd/containerd.sock", "/var/run/containerd/containerd.sock",
	"/var/run/crio/crio.sock", "/run/crio/crio.sock", "/var/lib/kubelet", "/etc/kubernetes",
}

// criticalHostPath reports whether a hostPath exposes one of
// criticalHostPaths (the path itself or a directory holding it).
func criticalHostPath(p string) bool {
	if p == "" {
		return false
	}
	p = path.Clean("/" + p)
	for _, c := range criticalHostPaths {
		if c == p || p == "/" || (len(c) > len(p) && c[:len(p)] == p && c[len(p)] == '/') {
			return true
		}
	}
	return false
}

// podWrite is a pod event the pod detectors judge: an allowed, final
// request whose body is the pod. ephemeral is set for the
// pods/ephemeralcontainers subresource (update or patch), where only the
// ephemeral containers are new.
func podWrite(ev *Event) (spec podSpec, ephemeral, ok bool) {
	if !ev.Final() || !ev.Allowed() || ev.Body == nil || ev.Object.Resource != "pods" {
		return spec, false, false
	}
	switch {
	case ev.Object.Subresource == "" && ev.Verb == "create":
	case ev.Object.Subresource == "ephemeralcontainers" && (ev.Verb == "update" || ev.Verb == "patch"):
		ephemeral = true
	default:
		return spec, false, false
	}
	spec = readPodSpec(ev.Body)
	if spec.Namespace == "" {
		spec.Namespace = ev.Object.Namespace
	}
	return spec, ephemeral, true
}

// mirrorPod reports whether a kubelet created the pod as the mirror of a
// static pod: the kubelet runs the static pod from its own disk whatever
// the API does, and NodeRestriction lets a node create no other pods.
func mirrorPod(ev *Event, spec *podSpec) bool {
	return spec.Mirror && objIsNode(ev.User.Username)
}

// objIsNode reports whether a user is a kubelet's identity.
func objIsNode(user string) bool {
	return len(user) > len("system:node:") && user[:len("system:node:")] == "system:node:"
}

// objName renders an object reference as "ns/name" or "name".
func objName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// workloadResources are the controllers whose pod template the pod
// detectors judge, with their API group.
var workloadResources = map[string]string{
	"deployments": "apps", "daemonsets": "apps", "statefulsets": "apps", "replicasets": "apps",
	"jobs": "batch", "cronjobs": "batch", "replicationcontrollers": "",
}

// workloadWrite is a workload controller written whole (create or update)
// by someone other than the cluster's own components: its pods will be
// created by a controller, so the pod events name the controller, not the
// person — and in kube-system they are not judged at all. The template is
// judged at the write, naming who made it. Patches carry no whole object
// and are left to the pods they cause.
func workloadWrite(ev *Event) (spec podSpec, kind string, ok bool) {
	if !ev.Final() || !ev.Allowed() || ev.Body == nil || ev.Object.Subresource != "" ||
		(ev.Verb != "create" && ev.Verb != "update") || IsSystem(ev.User.Username) {
		return spec, "", false
	}
	group, isWorkload := workloadResources[ev.Object.Resource]
	if !isWorkload || ev.Object.APIGroup != group {
		return spec, "", false
	}
	spec = readTemplateSpec(ev.Body, ev.Object.Resource)
	if spec.Namespace == "" {
		spec.Namespace = ev.Object.Namespace
	}
	if spec.Name == "" {
		spec.Name = ev.Object.Name
	}
	return spec, strings.TrimSuffix(ev.Object.Resource, "s"), true
}

// writeVerb words a workload write for a message: "created" or "updated".
func writeVerb(ev *Event) string {
	if ev.Verb == "update" {
		return "updated"
	}
	return "created"
}
