package auditlog

import (
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

func TestPrivilegedPodCreated(t *testing.T) {
	priv := objPod("miner", map[string]any{"containers": []any{objContainer("app", false), objContainer("x", true)}})
	plain := objPod("web", map[string]any{"containers": []any{objContainer("app", false)}})
	prodCfg := mustConfig(t, "productionNamespaces: [prod-*]\n")
	mirror := objPod("kube-proxy-node1", map[string]any{"containers": []any{objContainer("kube-proxy", true)}})
	mirror["metadata"].(map[string]any)["annotations"] = map[string]any{"kubernetes.io/config.mirror": "abc"}
	ephemeral := objPod("web", map[string]any{
		"containers":          []any{objContainer("app", false)},
		"ephemeralContainers": []any{objContainer("debugger", true)},
	})
	// A privileged main container on a pod whose new ephemeral container is not.
	ephemeralPlain := objPod("cni", map[string]any{
		"containers":          []any{objContainer("cni", true)},
		"ephemeralContainers": []any{objContainer("debugger", false)},
	})
	for _, tc := range []struct {
		name string
		cfg  string
		es   []E
		want finding.Severity // -1: no finding
		msg  string
	}{
		{"create", "", []E{{User: "alice", Verb: "create", Resource: "pods", NS: "dev", Name: "miner", Body: priv}}, finding.SeverityHigh, "alice created pod dev/miner with privileged container spec.containers[1] (x)."},
		{"production", "prod", []E{{User: "alice", Verb: "create", Resource: "pods", NS: "prod-eu", Name: "miner", Body: priv}}, finding.SeverityCritical, ""},
		{"controller elsewhere", "", []E{{User: "system:serviceaccount:kube-system:replicaset-controller", Verb: "create", Resource: "pods", NS: "dev", Body: objPod("", priv["spec"].(map[string]any))}}, finding.SeverityHigh, "pod dev/web-7d9f8-*"},
		{"ephemeral", "", []E{{User: "bob", Verb: "patch", Resource: "pods/ephemeralcontainers", NS: "dev", Name: "web", Response: ephemeral}}, finding.SeverityHigh, "bob added an ephemeral container to pod dev/web with privileged container spec.ephemeralContainers[0] (debugger)."},
		{"not privileged", "", []E{{User: "alice", Verb: "create", Resource: "pods", NS: "dev", Name: "web", Body: plain}}, -1, ""},
		{"denied", "", []E{{User: "alice", Verb: "create", Resource: "pods", NS: "dev", Name: "miner", Body: priv, Code: 403}}, -1, ""},
		{"rejected by admission", "", []E{{User: "alice", Verb: "create", Resource: "pods", NS: "dev", Name: "miner", Body: priv, Code: 422}}, -1, ""},
		{"non-final stage", "", []E{{User: "alice", Verb: "create", Resource: "pods", NS: "dev", Name: "miner", Body: priv, Stage: StageRequestReceived}}, -1, ""},
		{"mirror pod", "", []E{{User: "system:node:node1", Verb: "create", Resource: "pods", NS: "dev", Name: "kube-proxy-node1", Body: mirror}}, -1, ""},
		{"daemonset in kube-system", "", []E{{User: "system:serviceaccount:kube-system:daemon-set-controller", Verb: "create", Resource: "pods", NS: "kube-system", Body: priv}}, -1, ""},
		{"person in kube-system", "", []E{{User: "mallory", Verb: "create", Resource: "pods", NS: "kube-system", Name: "miner", Body: priv}}, finding.SeverityHigh, ""},
		{"ephemeral not privileged", "", []E{{User: "bob", Verb: "update", Resource: "pods/ephemeralcontainers", NS: "dev", Name: "cni", Body: ephemeralPlain}}, -1, ""},
		{"update of pod", "", []E{{User: "alice", Verb: "update", Resource: "pods", NS: "dev", Name: "miner", Body: priv}}, -1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cfg = mustConfig(t, "{}\n")
			if tc.cfg == "prod" {
				cfg = prodCfg
			}
			fs := objFind(analyze(t, cfg, tc.es, checks.RuleAuditPrivilegedPodCreated), checks.RuleAuditPrivilegedPodCreated)
			if tc.want < 0 {
				if len(fs) != 0 {
					t.Fatalf("want none, got %+v", fs)
				}
				return
			}
			if len(fs) != 1 {
				t.Fatalf("want 1 finding, got %d", len(fs))
			}
			f := fs[0]
			if f.Severity != tc.want || f.Object.Kind != "Pod" || f.Detection == nil || len(f.Detection.Events) != 1 {
				t.Fatalf("finding %+v", f)
			}
			if tc.msg != "" && !strings.Contains(f.Message, tc.msg) {
				t.Errorf("message %q lacks %q", f.Message, tc.msg)
			}
			if strings.Contains(objDump(t, f), "planted-env-value") {
				t.Error("a body value leaked into the finding")
			}
		})
	}
}

// Each request is judged once whatever stages the policy records.
func TestPrivilegedPodCountsRequestsOnce(t *testing.T) {
	priv := objPod("miner", map[string]any{"containers": []any{objContainer("x", true)}})
	e := E{User: "alice", Verb: "create", Resource: "pods", NS: "dev", Name: "miner", Body: priv}
	recv := e
	recv.Stage = StageRequestReceived
	fs := analyze(t, nil, []E{recv, e}, checks.RuleAuditPrivilegedPodCreated)
	if len(fs) != 1 || fs[0].Detection.Count != 1 {
		t.Fatalf("findings %+v", fs)
	}
}
