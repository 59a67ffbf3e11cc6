package auditlog

import (
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/checks"
)

func TestNodePortServiceCreated(t *testing.T) {
	svc := func(typ string, ports ...map[string]any) map[string]any {
		ps := make([]any, 0, len(ports))
		for _, p := range ports {
			ps = append(ps, p)
		}
		spec := map[string]any{"ports": ps}
		if typ != "" {
			spec["type"] = typ
		}
		return map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "web"}, "spec": spec}
	}
	np := svc("NodePort", map[string]any{"port": 80, "nodePort": 30080}, map[string]any{"port": 53, "protocol": "UDP"})
	for _, tc := range []struct {
		name string
		e    E
		want int
		msg  string
	}{
		{"create", E{User: "alice", Verb: "create", Resource: "services", NS: "dev", Name: "web", Body: np}, 1,
			"alice created NodePort Service dev/web exposing port 80/TCP on node port 30080, port 53/UDP on a node port the server allocates on every node."},
		{"patch to NodePort", E{User: "alice", Verb: "patch", Resource: "services", NS: "dev", Name: "web",
			Body: map[string]any{"spec": map[string]any{"type": "NodePort"}}, Response: np}, 1, "alice patched NodePort Service dev/web"},
		{"cluster IP", E{User: "alice", Verb: "create", Resource: "services", NS: "dev", Name: "web", Body: svc("", map[string]any{"port": 80})}, 0, ""},
		{"load balancer", E{User: "alice", Verb: "create", Resource: "services", NS: "dev", Name: "web", Body: svc("LoadBalancer", map[string]any{"port": 80, "nodePort": 31000})}, 0, ""},
		{"denied", E{User: "alice", Verb: "create", Resource: "services", NS: "dev", Name: "web", Body: np, Code: 403}, 0, ""},
		{"non-final", E{User: "alice", Verb: "create", Resource: "services", NS: "dev", Name: "web", Body: np, Stage: StageRequestReceived}, 0, ""},
		{"status update", E{User: "system:serviceaccount:kube-system:service-controller", Verb: "update", Resource: "services/status", NS: "dev", Name: "web", Body: np}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := analyze(t, nil, []E{tc.e}, checks.RuleAuditNodePortService)
			if len(fs) != tc.want {
				t.Fatalf("want %d findings, got %+v", tc.want, fs)
			}
			if tc.want == 1 && (!strings.Contains(fs[0].Message, tc.msg) || fs[0].Object.Kind != "Service") {
				t.Errorf("finding %+v lacks %q", fs[0], tc.msg)
			}
		})
	}
}
