package pss

import (
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// fastDecode fills the typed pod with exactly the fields the PSA checks read,
// without reflection. It gives up (false) at the first value whose type is
// not what the API types hold, leaving the pod to the converter and its
// lenient fallback, which say what was wrong. TestMatchesLibrary and
// TestFastDecodeMatchesConverter hold it to the converter's result.
func (p *decodedPod) fastDecode(meta, spec map[string]any) bool {
	d := fastDecoder{ok: true}
	if ann, present := meta["annotations"]; present && ann != nil {
		am, isMap := ann.(map[string]any)
		if !isMap {
			return false
		}
		p.meta.Annotations = make(map[string]string, len(am))
		for k, v := range am {
			s, isStr := v.(string)
			if !isStr {
				return false
			}
			p.meta.Annotations[k] = s
		}
	}
	s := &p.spec
	s.HostNetwork = d.boolean(spec["hostNetwork"])
	s.HostPID = d.boolean(spec["hostPID"])
	s.HostIPC = d.boolean(spec["hostIPC"])
	s.HostUsers = d.boolPtr(spec["hostUsers"])
	if os := d.object(spec["os"]); os != nil {
		s.OS = &corev1.PodOS{Name: corev1.OSName(d.str(os["name"]))}
	}
	if sc := d.object(spec["securityContext"]); sc != nil {
		s.SecurityContext = d.podSecurityContext(sc)
	}
	for _, v := range d.list(spec["volumes"]) {
		s.Volumes = append(s.Volumes, d.volume(v))
	}
	s.Containers = d.containers(spec["containers"])
	s.InitContainers = d.containers(spec["initContainers"])
	for _, c := range d.containers(spec["ephemeralContainers"]) {
		s.EphemeralContainers = append(s.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon(c)})
	}
	return d.ok
}

// fastDecoder reads unstructured values, recording any type mismatch.
type fastDecoder struct{ ok bool }

func (d *fastDecoder) object(v any) map[string]any {
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	d.ok = d.ok && ok
	return m
}

func (d *fastDecoder) list(v any) []any {
	if v == nil {
		return nil
	}
	l, ok := v.([]any)
	d.ok = d.ok && ok
	return l
}

func (d *fastDecoder) str(v any) string {
	if v == nil {
		return ""
	}
	s, ok := v.(string)
	d.ok = d.ok && ok
	return s
}

func (d *fastDecoder) boolean(v any) bool {
	if v == nil {
		return false
	}
	b, ok := v.(bool)
	d.ok = d.ok && ok
	return b
}

func (d *fastDecoder) boolPtr(v any) *bool {
	if v == nil {
		return nil
	}
	return ptr.To(d.boolean(v))
}

func (d *fastDecoder) integer(v any) int64 {
	switch n := v.(type) {
	case nil:
		return 0
	case int64:
		return n
	case int:
		return int64(n)
	case float64:
		if n == float64(int64(n)) {
			return int64(n)
		}
	}
	d.ok = false
	return 0
}

func (d *fastDecoder) int64Ptr(v any) *int64 {
	if v == nil {
		return nil
	}
	return ptr.To(d.integer(v))
}

func (d *fastDecoder) podSecurityContext(m map[string]any) *corev1.PodSecurityContext {
	sc := &corev1.PodSecurityContext{
		RunAsNonRoot:    d.boolPtr(m["runAsNonRoot"]),
		RunAsUser:       d.int64Ptr(m["runAsUser"]),
		SeccompProfile:  d.seccomp(m["seccompProfile"]),
		AppArmorProfile: d.appArmor(m["appArmorProfile"]),
		SELinuxOptions:  d.seLinux(m["seLinuxOptions"]),
		WindowsOptions:  d.windows(m["windowsOptions"]),
	}
	for _, s := range d.list(m["sysctls"]) {
		sm := d.object(s)
		sc.Sysctls = append(sc.Sysctls, corev1.Sysctl{Name: d.str(sm["name"]), Value: d.str(sm["value"])})
	}
	return sc
}

func (d *fastDecoder) securityContext(m map[string]any) *corev1.SecurityContext {
	sc := &corev1.SecurityContext{
		Privileged:               d.boolPtr(m["privileged"]),
		AllowPrivilegeEscalation: d.boolPtr(m["allowPrivilegeEscalation"]),
		RunAsNonRoot:             d.boolPtr(m["runAsNonRoot"]),
		RunAsUser:                d.int64Ptr(m["runAsUser"]),
		SeccompProfile:           d.seccomp(m["seccompProfile"]),
		AppArmorProfile:          d.appArmor(m["appArmorProfile"]),
		SELinuxOptions:           d.seLinux(m["seLinuxOptions"]),
		WindowsOptions:           d.windows(m["windowsOptions"]),
	}
	if pm := m["procMount"]; pm != nil {
		sc.ProcMount = ptr.To(corev1.ProcMountType(d.str(pm)))
	}
	if cm := d.object(m["capabilities"]); cm != nil {
		sc.Capabilities = &corev1.Capabilities{Add: d.capabilities(cm["add"]), Drop: d.capabilities(cm["drop"])}
	}
	return sc
}

func (d *fastDecoder) capabilities(v any) []corev1.Capability {
	l := d.list(v)
	if l == nil {
		return nil
	}
	out := make([]corev1.Capability, len(l))
	for i, c := range l {
		out[i] = corev1.Capability(d.str(c))
	}
	return out
}

func (d *fastDecoder) seccomp(v any) *corev1.SeccompProfile {
	m := d.object(v)
	if m == nil {
		return nil
	}
	return &corev1.SeccompProfile{Type: corev1.SeccompProfileType(d.str(m["type"]))}
}

func (d *fastDecoder) appArmor(v any) *corev1.AppArmorProfile {
	m := d.object(v)
	if m == nil {
		return nil
	}
	return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileType(d.str(m["type"]))}
}

func (d *fastDecoder) seLinux(v any) *corev1.SELinuxOptions {
	m := d.object(v)
	if m == nil {
		return nil
	}
	return &corev1.SELinuxOptions{User: d.str(m["user"]), Role: d.str(m["role"]), Type: d.str(m["type"]), Level: d.str(m["level"])}
}

func (d *fastDecoder) windows(v any) *corev1.WindowsSecurityContextOptions {
	m := d.object(v)
	if m == nil {
		return nil
	}
	return &corev1.WindowsSecurityContextOptions{HostProcess: d.boolPtr(m["hostProcess"])}
}

func (d *fastDecoder) containers(v any) []corev1.Container {
	l := d.list(v)
	if l == nil {
		return nil
	}
	out := make([]corev1.Container, len(l))
	for i, e := range l {
		m := d.object(e)
		c := &out[i]
		c.Name = d.str(m["name"])
		if sc := d.object(m["securityContext"]); sc != nil {
			c.SecurityContext = d.securityContext(sc)
		}
		for _, p := range d.list(m["ports"]) {
			pm := d.object(p)
			c.Ports = append(c.Ports, corev1.ContainerPort{
				HostPort: int32(d.integer(pm["hostPort"])), ContainerPort: int32(d.integer(pm["containerPort"])),
			})
		}
		c.LivenessProbe = d.probe(m["livenessProbe"])
		c.ReadinessProbe = d.probe(m["readinessProbe"])
		c.StartupProbe = d.probe(m["startupProbe"])
		if lm := d.object(m["lifecycle"]); lm != nil {
			c.Lifecycle = &corev1.Lifecycle{PostStart: d.handler(lm["postStart"]), PreStop: d.handler(lm["preStop"])}
		}
	}
	return out
}

func (d *fastDecoder) probe(v any) *corev1.Probe {
	m := d.object(v)
	if m == nil {
		return nil
	}
	h := d.handler(m)
	return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: h.HTTPGet, TCPSocket: h.TCPSocket}}
}

func (d *fastDecoder) handler(v any) *corev1.LifecycleHandler {
	m := d.object(v)
	if m == nil {
		return nil
	}
	h := &corev1.LifecycleHandler{}
	if g := d.object(m["httpGet"]); g != nil {
		h.HTTPGet = &corev1.HTTPGetAction{Host: d.str(g["host"])}
	}
	if t := d.object(m["tcpSocket"]); t != nil {
		h.TCPSocket = &corev1.TCPSocketAction{Host: d.str(t["host"])}
	}
	return h
}

// volumeSources maps each VolumeSource JSON field to its index, so that a
// source can be marked present (the checks only look at which one is set).
var volumeSources = func() map[string]int {
	t := reflect.TypeOf(corev1.VolumeSource{})
	out := make(map[string]int, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out[name] = i
	}
	return out
}()

func (d *fastDecoder) volume(v any) corev1.Volume {
	m := d.object(v)
	vol := corev1.Volume{Name: d.str(m["name"])}
	src := reflect.ValueOf(&vol.VolumeSource).Elem()
	for k, sv := range m {
		i, isSource := volumeSources[k]
		if !isSource || sv == nil {
			continue
		}
		if d.object(sv) == nil {
			continue
		}
		f := src.Field(i)
		f.Set(reflect.New(f.Type().Elem()))
	}
	return vol
}
