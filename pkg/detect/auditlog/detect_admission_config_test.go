package auditlog

import (
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

func TestAdmissionConfigChanged(t *testing.T) {
	const g = "admissionregistration.k8s.io"
	cfg := "detect:\n  trustedIdentities: [\"system:serviceaccount:cert-manager:*\"]\n"
	for _, tc := range []struct {
		name string
		e    E
		want finding.Severity // -1: none
		msg  string
	}{
		{"delete webhook", E{User: "mallory", Verb: "delete", Resource: "validatingwebhookconfigurations", Group: g, Name: "kyverno"}, finding.SeverityHigh,
			"mallory deleted ValidatingWebhookConfiguration kyverno, which decides what the API server admits."},
		{"person patches", E{User: "alice", Verb: "patch", Resource: "mutatingwebhookconfigurations", Group: g, Name: "istio"}, finding.SeverityHigh, ""},
		{"policy binding", E{User: "alice", Verb: "create", Resource: "validatingadmissionpolicybindings", Group: g, Name: "deny-priv"}, finding.SeverityHigh, "ValidatingAdmissionPolicyBinding deny-priv"},
		{"system component update", E{User: "system:serviceaccount:kube-system:generic-garbage-collector", Verb: "update", Resource: "validatingadmissionpolicies", Group: g, Name: "p"}, finding.SeverityMedium, ""},
		{"system component delete", E{User: "system:kube-controller-manager", Verb: "delete", Resource: "mutatingadmissionpolicies", Group: g, Name: "p"}, finding.SeverityHigh, ""},
		{"deletecollection", E{User: "alice", Verb: "deletecollection", Resource: "validatingwebhookconfigurations", Group: g}, finding.SeverityHigh, "deleted a collection of ValidatingWebhookConfiguration objects"},
		{"trusted cainjector", E{User: "system:serviceaccount:cert-manager:cert-manager-cainjector", Verb: "patch", Resource: "validatingwebhookconfigurations", Group: g, Name: "cert-manager-webhook"}, -1, ""},
		{"apiserver", E{User: "system:apiserver", Verb: "update", Resource: "validatingadmissionpolicies", Group: g, Name: "p"}, -1, ""},
		{"status", E{User: "alice", Verb: "update", Resource: "validatingadmissionpolicies/status", Group: g, Name: "p"}, -1, ""},
		{"read", E{User: "alice", Verb: "get", Resource: "validatingwebhookconfigurations", Group: g, Name: "kyverno"}, -1, ""},
		{"denied", E{User: "mallory", Verb: "delete", Resource: "validatingwebhookconfigurations", Group: g, Name: "kyverno", Code: 403}, -1, ""},
		{"non-final", E{User: "mallory", Verb: "delete", Resource: "validatingwebhookconfigurations", Group: g, Name: "kyverno", Stage: StageRequestReceived}, -1, ""},
		{"other group", E{User: "mallory", Verb: "delete", Resource: "validatingwebhookconfigurations", Group: "example.com", Name: "x"}, -1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := analyze(t, mustConfig(t, cfg), []E{tc.e}, checks.RuleAuditAdmissionConfigChanged)
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
