package auditlog

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/valyala/fastjson"

	"github.com/kharden/kharden/pkg/checks"
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

// objWorkload is a workload controller of kind in the API group its
// resource has, with spec as its pod template's spec.
func objWorkload(kind, name string, spec map[string]any) map[string]any {
	template := map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": name}}, "spec": spec}
	body := map[string]any{"kind": kind, "metadata": map[string]any{"name": name}}
	switch kind {
	case "CronJob":
		body["apiVersion"] = "batch/v1"
		body["spec"] = map[string]any{"schedule": "* * * * *", "jobTemplate": map[string]any{"spec": map[string]any{"template": template}}}
	case "Job":
		body["apiVersion"] = "batch/v1"
		body["spec"] = map[string]any{"template": template}
	default:
		body["apiVersion"] = "apps/v1"
		body["spec"] = map[string]any{"selector": map[string]any{"matchLabels": map[string]any{"app": name}}, "template": template}
	}
	return body
}

// A person's workload with a privileged or host-access pod template is
// judged at its write, naming the person; the controllers' own writes
// (ReplicaSets of Deployments, Jobs of CronJobs) and patches are not.
func TestWorkloadTemplates(t *testing.T) {
	privSpec := map[string]any{"containers": []any{objContainer("app", false), objContainer("x", true)}}
	hostSpec := map[string]any{"hostNetwork": true, "containers": []any{objContainer("app", false)},
		"volumes": []any{map[string]any{"name": "root", "hostPath": map[string]any{"path": "/"}}}}
	plainSpec := map[string]any{"containers": []any{objContainer("app", false)}}
	for _, tc := range []struct {
		name string
		rule finding.RuleID
		e    E
		kind string // "" for no finding
		msg  string
	}{
		{"daemonset in kube-system", checks.RuleAuditPrivilegedPodCreated,
			E{User: "mallory", Verb: "create", Resource: "daemonsets", Group: "apps", NS: "kube-system", Name: "node-agent", Body: objWorkload("DaemonSet", "node-agent", privSpec)},
			"DaemonSet", "mallory created daemonset kube-system/node-agent with privileged container spec.template.spec.containers[1] (x) in its pod template."},
		{"cronjob", checks.RuleAuditPrivilegedPodCreated,
			E{User: "alice", Verb: "create", Resource: "cronjobs", Group: "batch", NS: "dev", Name: "backup", Body: objWorkload("CronJob", "backup", privSpec)},
			"CronJob", "spec.jobTemplate.spec.template.spec.containers[1] (x)"},
		{"deployment replaced", checks.RuleAuditPrivilegedPodCreated,
			E{User: "alice", Verb: "update", Resource: "deployments", Group: "apps", NS: "dev", Name: "web", Body: objWorkload("Deployment", "web", privSpec)},
			"Deployment", "alice updated deployment dev/web with privileged container"},
		{"job", checks.RuleAuditPrivilegedPodCreated,
			E{User: "alice", Verb: "create", Resource: "jobs", Group: "batch", NS: "dev", Name: "once", Body: objWorkload("Job", "once", privSpec)},
			"Job", ""},
		{"replicaset of a deployment", checks.RuleAuditPrivilegedPodCreated,
			E{User: "system:serviceaccount:kube-system:deployment-controller", Verb: "create", Resource: "replicasets", Group: "apps", NS: "dev", Name: "web-7d9f8", Body: objWorkload("ReplicaSet", "web-7d9f8", privSpec)},
			"", ""},
		{"patch", checks.RuleAuditPrivilegedPodCreated,
			E{User: "alice", Verb: "patch", Resource: "deployments", Group: "apps", NS: "dev", Name: "web", Body: map[string]any{"spec": map[string]any{"replicas": 3}}},
			"", ""},
		{"plain template", checks.RuleAuditPrivilegedPodCreated,
			E{User: "alice", Verb: "create", Resource: "deployments", Group: "apps", NS: "dev", Name: "web", Body: objWorkload("Deployment", "web", plainSpec)},
			"", ""},
		{"another group's resource", checks.RuleAuditPrivilegedPodCreated,
			E{User: "alice", Verb: "create", Resource: "deployments", Group: "example.com", NS: "dev", Name: "web", Body: objWorkload("Deployment", "web", privSpec)},
			"", ""},
		{"denied", checks.RuleAuditPrivilegedPodCreated,
			E{User: "alice", Verb: "create", Resource: "daemonsets", Group: "apps", NS: "dev", Name: "x", Code: 403, Body: objWorkload("DaemonSet", "x", privSpec)},
			"", ""},
		{"host access", checks.RuleAuditHostAccessPodCreated,
			E{User: "alice", Verb: "create", Resource: "statefulsets", Group: "apps", NS: "dev", Name: "db", Body: objWorkload("StatefulSet", "db", hostSpec)},
			"StatefulSet", "alice created statefulset dev/db with host access in its pod template: hostPath volume /; hostNetwork."},
		{"host access in kube-system", checks.RuleAuditHostAccessPodCreated,
			E{User: "alice", Verb: "create", Resource: "daemonsets", Group: "apps", NS: "kube-system", Name: "agent", Body: objWorkload("DaemonSet", "agent", hostSpec)},
			"", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := objFind(analyze(t, nil, []E{tc.e}, tc.rule), tc.rule)
			if tc.kind == "" {
				if len(fs) != 0 {
					t.Fatalf("want none, got %+v", fs)
				}
				return
			}
			if len(fs) != 1 || fs[0].Object.Kind != tc.kind || fs[0].Object.Name != tc.e.Name || fs[0].Object.Namespace != tc.e.NS {
				t.Fatalf("want one finding on the %s, got %+v", tc.kind, fs)
			}
			if !strings.Contains(fs[0].Message, tc.msg) {
				t.Errorf("message %q lacks %q", fs[0].Message, tc.msg)
			}
			if strings.Contains(objDump(t, fs[0]), "planted-env-value") {
				t.Error("a body value leaked into the finding")
			}
		})
	}
}
