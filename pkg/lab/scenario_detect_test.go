package lab

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/detect/auditlog"
	"github.com/kharden/kharden/pkg/finding"
)

// The bots scenario's audit log is caught with the default settings: the
// spike of 401/403, the request rate and the anonymous reads, on the three
// bot addresses, and nothing on the cluster's ordinary traffic.
func TestBotsScenarioDetected(t *testing.T) {
	var log bytes.Buffer
	if err := writeBotsAudit(&log, logEpoch); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(path, log.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := auditlog.Analyze([]string{path}, nil, auditlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[finding.RuleID]bool{checks.RuleAuditAuthFailureSpike: true, checks.RuleAuditRequestRateAnomaly: true,
		checks.RuleAuditAnonymousRequest: true}
	hit := map[finding.RuleID]map[string]bool{}
	for _, f := range res.Findings {
		if hit[f.Rule] == nil {
			hit[f.Rule] = map[string]bool{}
		}
		hit[f.Rule][f.Object.Name] = true
		bot := f.Object.Name == "system:anonymous" || f.Object.Name == "(unauthenticated)"
		for _, ip := range botIPs {
			bot = bot || strings.Contains(f.Object.Name, ip)
		}
		if !bot {
			t.Errorf("false positive: %s on %s: %s", f.Rule, f.Object, f.Message)
		}
	}
	for rule := range want {
		for _, ip := range botIPs {
			if !hit[rule][ip] {
				t.Errorf("%s: bot %s not reported (got %v)", rule, ip, hit[rule])
			}
		}
	}
}
