package auditlog

import (
	"encoding/json"
	"testing"

	"github.com/valyala/fastjson"

	"github.com/kharden/kharden/pkg/finding"
)

// objPod builds a Pod body: containers maps a container list
// ("containers", "initContainers", "ephemeralContainers") to containers.
func objPod(name string, spec map[string]any) map[string]any {
	meta := map[string]any{"name": name}
	if name == "" {
		meta = map[string]any{"generateName": "web-7d9f8-"}
	}
	return map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
}

// objContainer is one container, privileged or not.
func objContainer(name string, privileged bool) map[string]any {
	c := map[string]any{"name": name, "image": "nginx", "env": []any{map[string]any{"name": "PW", "value": "planted-env-value"}}}
	if privileged {
		c["securityContext"] = map[string]any{"privileged": true}
	}
	return c
}

// objFind returns the findings of one rule.
func objFind(fs []finding.Finding, rule finding.RuleID) []finding.Finding {
	var out []finding.Finding
	for _, f := range fs {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

func TestReadPodSpec(t *testing.T) {
	body := fastjson.MustParse(`{"kind":"Pod","metadata":{"name":"p","namespace":"ns",
		"annotations":{"kubernetes.io/config.mirror":"abc"}},
		"spec":{"hostNetwork":true,"hostIPC":true,
		"containers":[{"name":"a"},{"name":"b","securityContext":{"privileged":true}}],
		"initContainers":[{"name":"i","securityContext":{"privileged":false}}],
		"ephemeralContainers":[{"name":"dbg","securityContext":{"privileged":true}}],
		"volumes":[{"name":"root","hostPath":{"path":"/"}},{"name":"e","emptyDir":{}}]}}`)
	p := readPodSpec(body)
	if p.Name != "p" || p.Namespace != "ns" || !p.Mirror || !p.HostNetwork || p.HostPID || !p.HostIPC {
		t.Fatalf("spec %+v", p)
	}
	priv := p.privileged()
	if len(priv) != 2 || priv[0].Path != "spec.containers[1]" || priv[1].Path != "spec.ephemeralContainers[0]" || !priv[1].Ephemeral {
		t.Fatalf("privileged %+v", priv)
	}
	if len(p.HostPaths) != 1 || p.HostPaths[0] != (hostPathVolume{Name: "root", Path: "/"}) {
		t.Fatalf("host paths %+v", p.HostPaths)
	}
	old := readPodSpec(fastjson.MustParse(`{"kind":"EphemeralContainers","ephemeralContainers":[{"name":"d","securityContext":{"privileged":true}}]}`))
	if len(old.privileged()) != 1 || old.privileged()[0].Path != "ephemeralContainers[0]" {
		t.Fatalf("EphemeralContainers %+v", old)
	}
	for _, doc := range []string{`null`, `[]`, `{"spec":[]}`, `{"spec":{"containers":[1,"x",null]}}`, `{"spec":{"volumes":[{"hostPath":3}]}}`} {
		_ = readPodSpec(fastjson.MustParse(doc))
	}
	_ = readPodSpec(nil)
}

func TestCriticalHostPath(t *testing.T) {
	for p, want := range map[string]bool{
		"/": true, "//": true, "/var/run/docker.sock": true, "/var/run": true, "/run/containerd/containerd.sock": true,
		"/var/lib/kubelet": true, "/var/lib/kubelet/": true, "/var/lib": true, "/var": true, "/etc/kubernetes": true,
		"/var/log": false, "/var/lib/kubelet-plugins": false, "/data": false, "": false, "/var/run/docker": false,
		"/etc/kubernetes/../kubernetes": true, "var/lib/kubelet": true,
	} {
		if got := criticalHostPath(p); got != want {
			t.Errorf("criticalHostPath(%q) = %v, want %v", p, got, want)
		}
	}
}

// objDump renders a finding as JSON, to look for leaked values in any field.
func objDump(t testing.TB, f finding.Finding) string {
	t.Helper()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + f.Message
}
