package auditlog

import (
	"testing"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

func TestTokenRequest(t *testing.T) {
	tok := func(user, ns, name string, code int) E {
		return E{User: user, IP: "10.0.0.5", Verb: "create", Resource: "serviceaccounts/token", NS: ns, Name: name, Code: code}
	}
	cfg := mustConfig(t, "detect:\n  trustedIdentities: [\"system:serviceaccount:vault:*\"]\n")
	for _, tc := range []struct {
		name string
		e    E
		want finding.Severity // -1: nothing
		msg  string
	}{
		{"person", tok("alice", "shop", "checkout", 201), finding.SeverityHigh,
			"alice requested a token for ServiceAccount shop/checkout from 10.0.0.5."},
		{"person refused", tok("eve", "kube-system", "admin", 403), finding.SeverityLow,
			"eve was refused a token for ServiceAccount kube-system/admin from 10.0.0.5."},
		{"SA for another", tok("system:serviceaccount:shop:app", "shop", "admin", 201), finding.SeverityMedium, ""},
		{"SA for itself", tok("system:serviceaccount:shop:app", "shop", "app", 201), -1, ""},
		{"kubelet", tok("system:node:worker-1", "shop", "app", 201), -1, ""},
		{"controller", tok("system:kube-controller-manager", "shop", "app", 201), -1, ""},
		{"kube-system SA", tok("system:serviceaccount:kube-system:attachdetach-controller", "shop", "app", 201), -1, ""},
		{"trusted", tok("system:serviceaccount:vault:vault", "shop", "app", 201), -1, ""},
		{"not final", E{User: "alice", Verb: "create", Resource: "serviceaccounts/token", NS: "shop", Name: "x", Stage: StageRequestReceived}, -1, ""},
		{"create SA", E{User: "alice", Verb: "create", Resource: "serviceaccounts", NS: "shop", Name: "x"}, -1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := analyze(t, cfg, []E{tc.e}, checks.RuleAuditTokenRequest)
			if tc.want < 0 {
				if len(fs) != 0 {
					t.Fatalf("fired: %s", fs[0].Message)
				}
				return
			}
			want := finding.ObjectRef{APIVersion: "v1", Kind: "ServiceAccount", Namespace: tc.e.NS, Name: tc.e.Name}
			if len(fs) != 1 || fs[0].Severity != tc.want || fs[0].Object != want || (tc.msg != "" && fs[0].Message != tc.msg) {
				t.Fatalf("findings = %+v", fs)
			}
		})
	}
}
