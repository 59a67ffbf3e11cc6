package auditlog

import (
	"strings"
	"testing"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

func TestBreakGlassUsed(t *testing.T) {
	cfg := mustConfig(t, "breakGlassGroups: [emergency]\ndetect:\n  breakGlassUsers: [\"breakglass-*\"]\n")
	es := []E{
		{User: "breakglass-1", IP: "10.0.0.5", Verb: "get", Resource: "nodes"},
		{At: time.Second, User: "breakglass-1", IP: "10.0.0.5", Verb: "get", Resource: "nodes"},
		{At: 2 * time.Second, User: "breakglass-1", IP: "10.0.0.5", Verb: "delete", Resource: "pods", NS: "shop", Name: "web-1", Code: 403},
		{At: 2 * time.Second, User: "breakglass-1", Verb: "delete", Resource: "pods", NS: "shop", Name: "web-1", Stage: StageRequestReceived},
		{At: 3 * time.Second, User: "carol", Groups: []string{"emergency", "system:authenticated"}, Verb: "list", Resource: "secrets"},
		{At: 4 * time.Second, User: "dave", As: "breakglass-2", Verb: "get", Resource: "pods"},
		{At: 5 * time.Second, User: "alice", Groups: []string{"dev"}, Verb: "get", Resource: "pods"},
		{At: 6 * time.Second, User: "glass", Verb: "get", Resource: "pods"},
	}
	got := identFindings(analyze(t, cfg, es, checks.RuleAuditBreakGlassUsed), checks.RuleAuditBreakGlassUsed)
	if len(got) != 3 || got["breakglass-1"].Rule == "" || got["carol"].Rule == "" || got["breakglass-2"].Rule == "" {
		t.Fatalf("findings on %v", keysOf(got))
	}
	f := got["breakglass-1"]
	if f.Severity != finding.SeverityHigh || f.Detection.Count != 3 ||
		f.Message != "Break-glass account breakglass-1 made 3 requests from 10.0.0.5, first: get nodes; delete pods shop/web-1." {
		t.Errorf("breakglass-1: %d %s", f.Detection.Count, f.Message)
	}
	if m := got["carol"].Message; !strings.HasPrefix(m, "Break-glass account carol (group emergency) made 1 request") {
		t.Errorf("carol: %s", m)
	}
}

// Without break-glass accounts configured nothing fires.
func TestBreakGlassUnconfigured(t *testing.T) {
	if fs := analyze(t, nil, []E{{User: "breakglass", Groups: []string{"system:masters"}, Verb: "get", Resource: "pods"}},
		checks.RuleAuditBreakGlassUsed); len(fs) != 0 {
		t.Errorf("fired: %v", fs)
	}
}
