package auditlog

import (
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/checks"
)

func TestIngressWithoutTLS(t *testing.T) {
	const g = "networking.k8s.io"
	ing := func(hosts []string, tls ...[]string) map[string]any {
		var rules []any
		for _, h := range hosts {
			rules = append(rules, map[string]any{"host": h})
		}
		spec := map[string]any{"rules": rules}
		if tls != nil {
			var ts []any
			for _, hs := range tls {
				entry := map[string]any{"secretName": "cert"}
				if hs != nil {
					entry["hosts"] = hs
				}
				ts = append(ts, entry)
			}
			spec["tls"] = ts
		}
		return map[string]any{"apiVersion": g + "/v1", "kind": "Ingress", "metadata": map[string]any{"name": "web"}, "spec": spec}
	}
	for _, tc := range []struct {
		name string
		e    E
		want int
		msg  string
	}{
		{"no tls", E{User: "alice", Verb: "create", Resource: "ingresses", Group: g, NS: "dev", Name: "web", Body: ing([]string{"a.example.com"})}, 1,
			"alice created Ingress dev/web without TLS (no spec.tls)"},
		{"host not covered", E{User: "alice", Verb: "update", Resource: "ingresses", Group: g, NS: "dev", Name: "web",
			Body: ing([]string{"a.example.com", "b.other.org", "x.y.example.com"}, []string{"*.example.com"})}, 1,
			"with hosts b.other.org, x.y.example.com not covered by any spec.tls entry."},
		{"patch reads the response", E{User: "alice", Verb: "patch", Resource: "ingresses", Group: g, NS: "dev", Name: "web",
			Body: map[string]any{"spec": map[string]any{}}, Response: ing([]string{"a.example.com"})}, 1, "patched"},
		{"extensions group", E{User: "alice", Verb: "create", Resource: "ingresses", Group: "extensions", NS: "dev", Name: "web", Body: ing(nil)}, 1, ""},
		{"covered", E{User: "alice", Verb: "create", Resource: "ingresses", Group: g, NS: "dev", Name: "web",
			Body: ing([]string{"A.example.com", "example.com"}, []string{"*.example.com"}, []string{"example.com"})}, 0, ""},
		{"default certificate", E{User: "alice", Verb: "create", Resource: "ingresses", Group: g, NS: "dev", Name: "web", Body: ing([]string{"a.example.com"}, nil)}, 0, ""},
		{"denied", E{User: "alice", Verb: "create", Resource: "ingresses", Group: g, NS: "dev", Name: "web", Body: ing(nil), Code: 403}, 0, ""},
		{"non-final", E{User: "alice", Verb: "create", Resource: "ingresses", Group: g, NS: "dev", Name: "web", Body: ing(nil), Stage: StageRequestReceived}, 0, ""},
		{"status", E{User: "system:serviceaccount:ingress-nginx:ingress-nginx", Verb: "update", Resource: "ingresses/status", Group: g, NS: "dev", Name: "web", Body: ing(nil)}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := analyze(t, nil, []E{tc.e}, checks.RuleAuditIngressWithoutTLS)
			if len(fs) != tc.want {
				t.Fatalf("want %d findings, got %+v", tc.want, fs)
			}
			if tc.want == 1 && (!strings.Contains(fs[0].Message, tc.msg) || fs[0].Object.Kind != "Ingress") {
				t.Errorf("finding %+v lacks %q", fs[0], tc.msg)
			}
		})
	}
}
