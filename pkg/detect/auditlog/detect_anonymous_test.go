package auditlog

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

func TestAnonymousRequest(t *testing.T) {
	anon := func(e E) E {
		e.User, e.Groups = "system:anonymous", []string{"system:unauthenticated"}
		return e
	}
	for _, tc := range []struct {
		name string
		e    E
		want finding.Severity // -1: nothing
	}{
		{"list pods", anon(E{IP: "1.1.1.1", Verb: "list", Resource: "pods"}), finding.SeverityHigh},
		{"get secret", anon(E{IP: "1.1.1.2", Verb: "get", Resource: "secrets", NS: "shop", Name: "db"}), finding.SeverityCritical},
		{"create pod", anon(E{IP: "1.1.1.3", Verb: "create", Resource: "pods", NS: "default", Code: 201}), finding.SeverityCritical},
		{"group only", E{Groups: []string{"system:unauthenticated"}, IP: "1.1.1.4", Verb: "get", URI: "/metrics"}, finding.SeverityHigh},
		{"sub-path of healthz look-alike", anon(E{IP: "1.1.1.5", Verb: "get", URI: "/healthzfoo"}), finding.SeverityHigh},
		{"healthz", anon(E{IP: "2.0.0.1", Verb: "get", URI: "/healthz"}), -1},
		{"healthz check", anon(E{IP: "2.0.0.2", Verb: "get", URI: "/healthz/etcd"}), -1},
		{"livez verbose", anon(E{IP: "2.0.0.3", Verb: "get", URI: "/livez?verbose"}), -1},
		{"readyz", anon(E{IP: "2.0.0.4", Verb: "get", URI: "/readyz"}), -1},
		{"version", anon(E{IP: "2.0.0.5", Verb: "get", URI: "/version"}), -1},
		{"denied", anon(E{IP: "2.0.0.6", Verb: "list", Resource: "secrets", Code: 403}), -1},
		{"unauthorized", E{IP: "2.0.0.7", Verb: "list", Resource: "secrets", Code: 401}, -1},
		{"authenticated", E{User: "alice", IP: "2.0.0.8", Verb: "list", Resource: "pods"}, -1},
		{"not final", anon(E{IP: "2.0.0.9", Verb: "list", Resource: "pods", Stage: StageRequestReceived}), -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := analyze(t, nil, []E{tc.e}, checks.RuleAuditAnonymousRequest)
			if tc.want < 0 {
				if len(fs) != 0 {
					t.Fatalf("fired: %s", fs[0].Message)
				}
				return
			}
			if len(fs) != 1 || fs[0].Severity != tc.want || fs[0].Object != SourceRef(tc.e.IP) {
				t.Fatalf("findings = %+v", fs)
			}
		})
	}
}

// The message names who, from where, what, and the binding that allowed
// it; a request's body (an anonymous create carrying a credential) never
// reaches the finding.
func TestAnonymousRequestMessageAndNoBody(t *testing.T) {
	const planted = "PLANTED-anon-4f9c1e"
	e := E{User: "system:anonymous", Groups: []string{"system:unauthenticated"}, IP: "203.0.113.9", Verb: "create", Resource: "configmaps",
		NS: "default", Name: "x", Code: 201, Body: map[string]any{"kind": "ConfigMap", "metadata": map[string]any{"name": "x"},
			"data": map[string]any{"password": planted}}}
	fs := analyze(t, nil, []E{e}, checks.RuleAuditAnonymousRequest)
	if len(fs) != 1 {
		t.Fatalf("findings = %v", fs)
	}
	if want := "system:anonymous from 203.0.113.9 was allowed to create configmaps default/x."; fs[0].Message != want {
		t.Errorf("message %q, want %q", fs[0].Message, want)
	}
	b, _ := json.Marshal(fs)
	if strings.Contains(string(b), planted) {
		t.Errorf("planted value in the finding: %s", b)
	}
}
