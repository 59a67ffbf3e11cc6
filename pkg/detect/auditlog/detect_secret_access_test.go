package auditlog

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

func TestSecretAccessUnusual(t *testing.T) {
	at := func(d time.Duration, e E) E { e.At = d; return e }
	es := []E{
		// Warm-up readers: a workload and a person.
		at(time.Minute, E{User: "system:serviceaccount:shop:app", Verb: "get", Resource: "secrets", NS: "shop", Name: "db"}),
		at(2*time.Minute, E{User: "alice", Verb: "get", Resource: "secrets", NS: "shop", Name: "db"}),
		// After the warm-up: known readers stay quiet.
		at(20*time.Minute, E{User: "system:serviceaccount:shop:app", Verb: "get", Resource: "secrets", NS: "shop", Name: "db"}),
		at(20*time.Minute, E{User: "alice", Verb: "list", Resource: "secrets", NS: "shop"}),
		// System components and trusted identities never report.
		at(21*time.Minute, E{User: "system:kube-controller-manager", Verb: "list", Resource: "secrets"}),
		at(21*time.Minute, E{User: "system:serviceaccount:kube-system:generic-garbage-collector", Verb: "watch", Resource: "secrets"}),
		at(21*time.Minute, E{User: "system:serviceaccount:cert-manager:cert-manager", Verb: "watch", Resource: "secrets"}),
		// Denied and non-final reads are not reads.
		at(22*time.Minute, E{User: "eve", Verb: "get", Resource: "secrets", NS: "shop", Name: "db", Code: 403}),
		at(22*time.Minute, E{User: "eve", Verb: "get", Resource: "secrets", NS: "shop", Name: "db", Stage: StageRequestReceived}),
		// A new reader.
		at(23*time.Minute, E{User: "bob", IP: "10.0.0.7", Verb: "get", Resource: "secrets", NS: "shop", Name: "db"}),
		// A cluster-wide list by a person who read Secrets during the warm-up.
		at(24*time.Minute, E{User: "alice", IP: "10.0.0.5", Verb: "list", Resource: "secrets"}),
		// Keep the log going.
		at(30*time.Minute, E{User: "alice", Verb: "get", Resource: "pods", NS: "shop"}),
	}
	cfg := mustConfig(t, "detect:\n  trustedIdentities: [\"system:serviceaccount:cert-manager:*\"]\n")
	got := identFindings(analyze(t, cfg, es, checks.RuleAuditSecretAccessUnusual), checks.RuleAuditSecretAccessUnusual)
	if len(got) != 2 {
		t.Fatalf("findings on %v, want bob and alice", keysOf(got))
	}
	if f := got["bob"]; f.Severity != finding.SeverityMedium ||
		f.Message != "bob read Secrets (get secrets shop/db) from 10.0.0.7 and had not read any in the first 10m of the log." {
		t.Errorf("bob: %v %s", f.Severity, f.Message)
	}
	if f := got["alice"]; f.Severity != finding.SeverityHigh || f.Message != "alice listed the Secrets of every namespace (list) from 10.0.0.5." {
		t.Errorf("alice: %v %s", f.Severity, f.Message)
	}
}

func TestSecretAccessBulk(t *testing.T) {
	var es []E
	// ci reads one Secret during the warm-up, then 25 distinct ones in a
	// minute; a reader of the same Secret 50 times is no bulk read.
	es = append(es, E{User: "ci", Verb: "get", Resource: "secrets", NS: "ci", Name: "s0"},
		E{User: "system:serviceaccount:shop:app", Verb: "get", Resource: "secrets", NS: "shop", Name: "db"})
	for i := range 25 {
		es = append(es, E{At: 15*time.Minute + time.Duration(i)*time.Second, User: "ci", Verb: "get", Resource: "secrets", NS: "shop",
			Name: fmt.Sprintf("s%d", i)})
	}
	for i := range 50 {
		es = append(es, E{At: 15*time.Minute + time.Duration(i)*time.Second, User: "system:serviceaccount:shop:app", Verb: "get",
			Resource: "secrets", NS: "shop", Name: "db"})
	}
	es = identMerge(es)
	got := identFindings(analyze(t, nil, es, checks.RuleAuditSecretAccessUnusual), checks.RuleAuditSecretAccessUnusual)
	f, ok := got["ci"]
	if len(got) != 1 || !ok {
		t.Fatalf("findings on %v, want ci", keysOf(got))
	}
	if f.Severity != finding.SeverityHigh || f.Detection.Count != 1 ||
		!strings.HasPrefix(f.Message, "ci read more than 20 distinct Secrets in 1m, the last get secrets shop/s20") {
		t.Errorf("ci: %v %d %s", f.Severity, f.Detection.Count, f.Message)
	}
}

// Secret bodies never reach a finding: the decoder drops them, and the
// detector reads only the objectRef.
func TestSecretAccessNoValues(t *testing.T) {
	const planted = "PLANTED-secret-9d2b7a"
	e := E{At: 15 * time.Minute, User: "bob", Verb: "get", Resource: "secrets", NS: "shop", Name: "db",
		Response: map[string]any{"kind": "Secret", "data": map[string]any{"password": planted}}}
	fs := analyze(t, nil, []E{{User: "x", Verb: "get", Resource: "pods"}, e}, checks.RuleAuditSecretAccessUnusual)
	if len(fs) != 1 {
		t.Fatalf("findings = %v", fs)
	}
	if b, _ := json.Marshal(fs); strings.Contains(string(b), planted) {
		t.Errorf("planted value in the finding: %s", b)
	}
}
