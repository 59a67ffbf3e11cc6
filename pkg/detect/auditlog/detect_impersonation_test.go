package auditlog

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// identImpersonatingGroups renders e with impersonatedUser.groups set.
func identImpersonatingGroups(e E, groups ...string) []byte {
	var m map[string]any
	if err := json.Unmarshal(e.JSON(), &m); err != nil {
		panic(err)
	}
	imp, _ := m["impersonatedUser"].(map[string]any)
	if imp == nil {
		imp = map[string]any{}
	}
	imp["groups"] = groups
	m["impersonatedUser"] = imp
	b, _ := json.Marshal(m)
	return append(b, '\n')
}

func TestImpersonation(t *testing.T) {
	cfg := mustConfig(t, "detect:\n  trustedIdentities: [\"system:serviceaccount:cattle-system:*\"]\n")
	for _, tc := range []struct {
		name   string
		line   []byte
		object string
		want   finding.Severity // -1: nothing
		msg    string
	}{
		{"read as a person", Lines(E{User: "alice", As: "bob", IP: "10.0.0.5", Verb: "get", Resource: "pods", NS: "shop", Name: "web"}),
			"alice", finding.SeverityMedium, "alice acted as bob: get pods shop/web from 10.0.0.5."},
		{"as a system user", Lines(E{User: "alice", As: "system:kube-controller-manager", Verb: "list", Resource: "secrets"}),
			"alice", finding.SeverityHigh, ""},
		{"as system:masters", identImpersonatingGroups(E{User: "alice", As: "someone", IP: "10.0.0.5", Verb: "get", Resource: "pods"}, "system:masters"),
			"alice", finding.SeverityHigh, "alice acted as someone, in group system:masters: get pods from 10.0.0.5."},
		{"write", Lines(E{User: "alice", As: "bob", Verb: "delete", Resource: "pods", NS: "shop", Name: "web"}), "alice", finding.SeverityHigh, ""},
		{"denied", Lines(E{User: "eve", As: "system:admin", IP: "10.0.0.6", Verb: "get", Resource: "secrets", Code: 403}),
			"eve", finding.SeverityLow, "eve tried to act as system:admin, a system identity: get secrets from 10.0.0.6."},
		{"trusted proxy", Lines(E{User: "system:serviceaccount:cattle-system:rancher", As: "bob", Verb: "delete", Resource: "pods", NS: "shop", Name: "web"}),
			"rancher", finding.SeverityLow, ""},
		{"no impersonation", Lines(E{User: "alice", Verb: "get", Resource: "pods"}), "", -1, ""},
		{"not final", Lines(E{User: "alice", As: "bob", Verb: "get", Resource: "pods", Stage: StageRequestReceived}), "", -1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := analyzeBytes(t, cfg, bytes.Clone(tc.line), checks.RuleAuditImpersonation)
			if tc.want < 0 {
				if len(fs) != 0 {
					t.Fatalf("fired: %s", fs[0].Message)
				}
				return
			}
			if len(fs) != 1 || fs[0].Severity != tc.want || fs[0].Object.Name != tc.object || (tc.msg != "" && fs[0].Message != tc.msg) {
				t.Fatalf("findings = %+v", fs)
			}
		})
	}
}
