package auditlog

import (
	"strings"
	"testing"
	"time"

	"github.com/kharden/kharden/pkg/checks"
)

func TestRequestRateAnomaly(t *testing.T) {
	// A controller at 600 requests a minute from the start: learnt.
	controller := identSteady(E{User: "system:serviceaccount:argocd:argocd-application-controller", IP: "10.244.0.8",
		Verb: "list", Resource: "pods"}, 100*time.Millisecond, 30*time.Minute)
	person := identSteady(E{User: "alice", IP: "10.0.0.5", Verb: "get", Resource: "pods", NS: "shop"}, 5*time.Second, 30*time.Minute)
	// alice's script goes wild at minute 20 from the same address.
	loop := identBurst(E{User: "alice", IP: "10.0.0.5", Verb: "get", Resource: "pods", NS: "shop"}, 20*time.Minute, time.Minute, 900)
	// A new source after the warm-up, starting late in minute 15.
	bot := identBurst(E{IP: "203.0.113.45", Verb: "get", URI: "/api", Code: 401}, 15*time.Minute+45*time.Second, 3*time.Minute+15*time.Second, 2600)
	fs := analyze(t, nil, identMerge(controller, person, loop, bot), checks.RuleAuditRequestRateAnomaly)
	got := identFindings(fs, checks.RuleAuditRequestRateAnomaly)
	if len(got) != 3 || got["alice"].Rule == "" || got["10.0.0.5"].Rule == "" || got["203.0.113.45"].Rule == "" {
		t.Fatalf("findings on %v, want alice, 10.0.0.5 and 203.0.113.45", keysOf(got))
	}
	if m := got["alice"].Message; !strings.HasPrefix(m, "912 requests in 1m from alice, ") || !strings.Contains(m, "x its baseline of 12") {
		t.Errorf("alice: %s", m)
	}
	if m := got["203.0.113.45"].Message; !strings.Contains(m, "requests in 1m from 203.0.113.45, with no history before.") {
		t.Errorf("bot: %s", m)
	}
	if f := got["203.0.113.45"]; !f.Detection.First.Equal(t0.Add(16 * time.Minute)) {
		t.Errorf("bot first fired at %v, want its first full window", f.Detection.First)
	}
}

// Only final records count: a policy that logs RequestReceived too does not
// double the rate.
func TestRequestRateCountsFinalOnly(t *testing.T) {
	base := identSteady(E{User: "bob", IP: "10.0.0.6", Verb: "get", Resource: "pods"}, time.Second, 30*time.Minute)
	var both []E
	for _, e := range identBurst(E{User: "bob", IP: "10.0.0.6", Verb: "get", Resource: "pods"}, 20*time.Minute, time.Minute, 400) {
		r := e
		r.Stage = StageRequestReceived
		both = append(both, r, e)
	}
	cfg := mustConfig(t, "detect:\n  requestRate:\n    min: 600\n    factor: 5\n")
	if fs := analyze(t, cfg, identMerge(base, both), checks.RuleAuditRequestRateAnomaly); len(fs) != 0 {
		t.Errorf("460 requests counted as 860: %v", fs[0].Message)
	}
}
