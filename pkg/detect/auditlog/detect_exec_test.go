package auditlog

import (
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

func TestExecIntoPod(t *testing.T) {
	prod := "productionNamespaces: [prod]\n"
	for _, tc := range []struct {
		name string
		e    E
		want finding.Severity // -1: none
		msg  string
	}{
		{"exec create (SPDY)", E{User: "alice", Verb: "create", Resource: "pods/exec", NS: "dev", Name: "web"}, finding.SeverityMedium, "alice executed a command in pod dev/web (allowed)."},
		{"exec get (WebSocket)", E{User: "alice", Verb: "get", Resource: "pods/exec", NS: "dev", Name: "web", Code: 101}, finding.SeverityMedium, ""},
		{"production", E{User: "alice", Verb: "create", Resource: "pods/exec", NS: "prod", Name: "web"}, finding.SeverityHigh, ""},
		{"kube-system", E{User: "alice", Verb: "create", Resource: "pods/attach", NS: "kube-system", Name: "coredns-1"}, finding.SeverityHigh, "alice attached to pod kube-system/coredns-1"},
		{"portforward", E{User: "alice", Verb: "create", Resource: "pods/portforward", NS: "dev", Name: "db"}, finding.SeverityMedium, "port-forwarded to"},
		{"ephemeral container", E{User: "alice", Verb: "patch", Resource: "pods/ephemeralcontainers", NS: "prod", Name: "web"}, finding.SeverityHigh, "added an ephemeral container to pod prod/web"},
		{"denied", E{User: "mallory", Verb: "create", Resource: "pods/exec", NS: "prod", Name: "web", Code: 403}, finding.SeverityLow, "mallory tried to exec into pod prod/web and was denied (403)."},
		{"impersonated", E{User: "alice", As: "bob", Verb: "create", Resource: "pods/exec", NS: "dev", Name: "web"}, finding.SeverityMedium, "alice as bob executed"},
		{"non-final", E{User: "alice", Verb: "create", Resource: "pods/exec", NS: "dev", Name: "web", Stage: StageResponseStarted}, -1, ""},
		{"pod read", E{User: "alice", Verb: "get", Resource: "pods", NS: "dev", Name: "web"}, -1, ""},
		{"logs", E{User: "alice", Verb: "get", Resource: "pods/log", NS: "dev", Name: "web"}, -1, ""},
		{"ephemeral get", E{User: "alice", Verb: "get", Resource: "pods/ephemeralcontainers", NS: "dev", Name: "web"}, -1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := analyze(t, mustConfig(t, prod), []E{tc.e}, checks.RuleAuditExecIntoPod)
			if tc.want < 0 {
				if len(fs) != 0 {
					t.Fatalf("want none, got %+v", fs)
				}
				return
			}
			if len(fs) != 1 {
				t.Fatalf("findings %+v", fs)
			}
			f := fs[0]
			if f.Severity != tc.want || f.Object.Kind != "Pod" || f.Object.Name != tc.e.Name || len(f.Related) != 1 ||
				f.Related[0].Role != "subject" || f.Related[0].Object.Name != tc.e.User {
				t.Fatalf("finding %+v", f)
			}
			if !strings.Contains(f.Message, tc.msg) {
				t.Errorf("message %q lacks %q", f.Message, tc.msg)
			}
		})
	}
}

// A denied attempt and a later allowed exec on one pod make one finding at
// the higher severity.
func TestExecAttemptsMerge(t *testing.T) {
	fs := analyze(t, nil, []E{
		{User: "mallory", Verb: "create", Resource: "pods/exec", NS: "dev", Name: "web", Code: 403},
		{At: 1e9, User: "mallory", Verb: "create", Resource: "pods/exec", NS: "dev", Name: "web"},
	}, checks.RuleAuditExecIntoPod)
	if len(fs) != 1 || fs[0].Severity != finding.SeverityMedium || fs[0].Detection.Count != 2 || !strings.Contains(fs[0].Message, "(allowed)") {
		t.Fatalf("findings %+v", fs)
	}
}
