package auditlog

import (
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

func TestHostAccessPodCreated(t *testing.T) {
	vol := func(paths ...string) []any {
		var out []any
		for i, p := range paths {
			out = append(out, map[string]any{"name": "v" + string(rune('a'+i)), "hostPath": map[string]any{"path": p}})
		}
		return out
	}
	c := []any{objContainer("app", false)}
	logs := objPod("agent", map[string]any{"containers": c, "volumes": vol("/var/log")})
	sock := objPod("builder", map[string]any{"containers": c, "volumes": vol("/var/log", "/var/run/docker.sock")})
	netPod := objPod("net", map[string]any{"containers": c, "hostNetwork": true, "hostPID": true})
	plain := objPod("web", map[string]any{"containers": c, "volumes": []any{map[string]any{"name": "tmp", "emptyDir": map[string]any{}}}})
	mirror := objPod("etcd-node1", map[string]any{"containers": c, "hostNetwork": true, "volumes": vol("/var/lib/etcd")})
	mirror["metadata"].(map[string]any)["annotations"] = map[string]any{"kubernetes.io/config.mirror": "abc"}
	for _, tc := range []struct {
		name string
		cfg  string
		e    E
		want finding.Severity // -1: none
		msg  string
	}{
		{"hostPath default namespaces", "{}", E{User: "alice", Verb: "create", Resource: "pods", NS: "dev", Name: "agent", Body: logs}, finding.SeverityHigh, "alice created pod dev/agent with host access: hostPath volume /var/log."},
		{"runtime socket", "{}", E{User: "alice", Verb: "create", Resource: "pods", NS: "dev", Name: "builder", Body: sock}, finding.SeverityCritical, "hostPath volumes /var/log, /var/run/docker.sock"},
		{"host namespaces", "{}", E{User: "alice", Verb: "create", Resource: "pods", NS: "dev", Name: "net", Body: netPod}, finding.SeverityHigh, "hostNetwork; hostPID."},
		{"kube-system exempt by default", "{}", E{User: "system:serviceaccount:kube-system:daemon-set-controller", Verb: "create", Resource: "pods", NS: "kube-system", Body: netPod}, -1, ""},
		{"kube-node-lease exempt by default", "{}", E{User: "alice", Verb: "create", Resource: "pods", NS: "kube-node-lease", Body: netPod}, -1, ""},
		{"production only when configured", "productionNamespaces: [prod]", E{User: "alice", Verb: "create", Resource: "pods", NS: "dev", Name: "net", Body: netPod}, -1, ""},
		{"production namespace", "productionNamespaces: [prod]", E{User: "system:serviceaccount:kube-system:replicaset-controller", Verb: "create", Resource: "pods", NS: "prod", Body: sock}, finding.SeverityCritical, ""},
		{"kube-system when production", "productionNamespaces: [kube-system]", E{User: "alice", Verb: "create", Resource: "pods", NS: "kube-system", Body: netPod}, finding.SeverityHigh, ""},
		{"no host access", "{}", E{User: "alice", Verb: "create", Resource: "pods", NS: "dev", Name: "web", Body: plain}, -1, ""},
		{"mirror pod", "{}", E{User: "system:node:node1", Verb: "create", Resource: "pods", NS: "dev", Name: "etcd-node1", Body: mirror}, -1, ""},
		{"denied", "{}", E{User: "alice", Verb: "create", Resource: "pods", NS: "dev", Name: "net", Body: netPod, Code: 403}, -1, ""},
		{"non-final", "{}", E{User: "alice", Verb: "create", Resource: "pods", NS: "dev", Name: "net", Body: netPod, Stage: StageResponseStarted}, -1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := analyze(t, mustConfig(t, tc.cfg+"\n"), []E{tc.e}, checks.RuleAuditHostAccessPodCreated)
			if tc.want < 0 {
				if len(fs) != 0 {
					t.Fatalf("want none, got %+v", fs)
				}
				return
			}
			if len(fs) != 1 || fs[0].Severity != tc.want {
				t.Fatalf("findings %+v", fs)
			}
			if !strings.Contains(fs[0].Message, tc.msg) {
				t.Errorf("message %q lacks %q", fs[0].Message, tc.msg)
			}
		})
	}
}
