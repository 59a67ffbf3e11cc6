package lab

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/detect/auditlog"
	"github.com/kharden/kharden/pkg/detect/dns"
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

// The miner scenario's CoreDNS log is caught: dns-random-domains on the
// miner's pod address, and no DNS finding on the ordinary pods.
func TestDNSMinerScenarioDetected(t *testing.T) {
	var log bytes.Buffer
	if err := writeCoreDNSLog(&log, logEpoch); err != nil {
		t.Fatal(err)
	}
	eng, err := dns.New(dns.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := dns.NewDecoder(&log, "coredns.log")
	var rec dns.Record
	for d.Next(&rec) {
		eng.Observe(&rec)
	}
	eng.Close()
	random := false
	for _, f := range eng.Findings() {
		if !strings.Contains(f.Object.Name, minerPodIP) {
			t.Errorf("false positive: %s on %s: %s", f.Rule, f.Object, f.Message)
		}
		random = random || f.Rule == checks.RuleDNSRandomDomains
	}
	if !random {
		t.Error("the miner's random TXT queries were not reported")
	}
}
