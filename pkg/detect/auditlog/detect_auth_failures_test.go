package auditlog

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// identFindings returns the findings of rule, by object name.
func identFindings(fs []finding.Finding, rule finding.RuleID) map[string]finding.Finding {
	out := map[string]finding.Finding{}
	for _, f := range fs {
		if f.Rule == rule {
			out[f.Object.Name] = f
		}
	}
	return out
}

// identSteady is e repeated every interval from the start until upto.
func identSteady(e E, every time.Duration, upto time.Duration) []E {
	var es []E
	for at := time.Duration(0); at < upto; at += every {
		e.At = at
		es = append(es, e)
	}
	return es
}

// identMerge orders events by time.
func identMerge(sets ...[]E) []E {
	var out []E
	for _, s := range sets {
		out = append(out, s...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out
}

// identBurst is n events of e spread over d from start.
func identBurst(e E, start, d time.Duration, n int) []E {
	es := make([]E, n)
	for i := range es {
		e.At = start + time.Duration(i)*d/time.Duration(n)
		es[i] = e
	}
	return es
}

func TestAuthFailureSpike(t *testing.T) {
	normal := identSteady(E{User: "alice", IP: "10.0.0.5", Verb: "get", Resource: "pods", NS: "shop"}, 2*time.Second, 30*time.Minute)
	// A controller whose RBAC is missing fails steadily from the start: its
	// baseline learns it.
	broken := identSteady(E{User: "system:serviceaccount:ops:agent", IP: "10.0.0.9", Verb: "list", Resource: "nodes", Code: 403},
		time.Second, 30*time.Minute)
	brute := identBurst(E{IP: "203.0.113.7", Verb: "get", Resource: "secrets", NS: "kube-system", Code: 401}, 15*time.Minute, time.Minute, 120)
	denied := identBurst(E{User: "mallory", IP: "10.0.0.66", Verb: "list", Resource: "secrets", Code: 403}, 20*time.Minute, time.Minute, 60)
	// Non-final stages are not counted.
	stages := identBurst(E{IP: "10.0.0.77", Verb: "get", Resource: "pods", Code: 401, Stage: StageRequestReceived}, 22*time.Minute, time.Minute, 100)
	fs := analyze(t, nil, identMerge(normal, broken, brute, denied, stages), checks.RuleAuditAuthFailureSpike)
	got := identFindings(fs, checks.RuleAuditAuthFailureSpike)
	if len(got) != 3 || got["10.0.0.66"].Rule == "" {
		t.Fatalf("findings on %v, want 203.0.113.7, mallory and 10.0.0.66", keysOf(got))
	}
	f := got["203.0.113.7"]
	if f.Object.Kind != "SourceIP" || f.Detection.Count != 120 || f.Severity != finding.SeverityHigh ||
		!strings.Contains(f.Message, "120 failed requests (401/403) in 1m from 203.0.113.7, with no failures before") ||
		!strings.Contains(f.Message, "most failed: get secrets -n kube-system (120)") {
		t.Errorf("brute force: %+v", f)
	}
	if f := got["mallory"]; f.Object.Kind != "User" || f.Detection.Count != 60 {
		t.Errorf("user key: %+v", f)
	}
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// During the warm-up nothing fires, however loud.
func TestAuthFailureWarmup(t *testing.T) {
	es := identMerge(identSteady(E{User: "alice", Verb: "get", Resource: "pods"}, 10*time.Second, 30*time.Minute),
		identBurst(E{IP: "203.0.113.7", Verb: "get", Resource: "pods", Code: 401}, 3*time.Minute, time.Minute, 500))
	if fs := analyze(t, nil, es, checks.RuleAuditAuthFailureSpike); len(fs) != 0 {
		t.Errorf("fired during the warm-up: %v", fs)
	}
}
