package auditlog

import (
	"testing"

	"github.com/kharden/kharden/pkg/checks"
)

func TestPodCreatedInKubeSystem(t *testing.T) {
	body := objPod("shell", map[string]any{"containers": []any{objContainer("sh", false)}})
	mirror := objPod("kube-apiserver-node1", map[string]any{"containers": []any{objContainer("kube-apiserver", false)}})
	mirror["metadata"].(map[string]any)["annotations"] = map[string]any{"kubernetes.io/config.mirror": "abc"}
	for _, tc := range []struct {
		name string
		e    E
		want int
	}{
		{"person in kube-system", E{User: "mallory", Verb: "create", Resource: "pods", NS: "kube-system", Name: "shell", Body: body}, 1},
		{"workload in kube-public", E{User: "system:serviceaccount:ci:deployer", Verb: "create", Resource: "pods", NS: "kube-public", Name: "shell", Body: body}, 1},
		{"controller", E{User: "system:serviceaccount:kube-system:replicaset-controller", Verb: "create", Resource: "pods", NS: "kube-system", Body: body}, 0},
		{"kube-controller-manager", E{User: "system:kube-controller-manager", Verb: "create", Resource: "pods", NS: "kube-system", Body: body}, 0},
		{"kubelet mirror pod", E{User: "system:node:node1", Verb: "create", Resource: "pods", NS: "kube-system", Name: "kube-apiserver-node1", Body: mirror}, 0},
		{"other namespace", E{User: "mallory", Verb: "create", Resource: "pods", NS: "default", Name: "shell", Body: body}, 0},
		{"denied", E{User: "mallory", Verb: "create", Resource: "pods", NS: "kube-system", Name: "shell", Body: body, Code: 403}, 0},
		{"non-final", E{User: "mallory", Verb: "create", Resource: "pods", NS: "kube-system", Name: "shell", Body: body, Stage: StageRequestReceived}, 0},
		{"delete", E{User: "mallory", Verb: "delete", Resource: "pods", NS: "kube-system", Name: "shell"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := analyze(t, nil, []E{tc.e}, checks.RuleAuditPodInKubeSystem)
			if len(fs) != tc.want {
				t.Fatalf("want %d findings, got %+v", tc.want, fs)
			}
			if tc.want == 1 && (fs[0].Object.Kind != "Pod" || fs[0].Object.Name != "shell" || len(fs[0].Related) != 1) {
				t.Errorf("finding %+v", fs[0])
			}
		})
	}
}
