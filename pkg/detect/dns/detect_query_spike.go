package dns

import (
	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
)

// newQuerySpike counts every query of a client per window
// (detect.dns.queryRate): a flood, a resolver loop, or exfiltration by
// volume.
func newQuerySpike(s *config.DetectSettings, rep *reporter) *rateDetector {
	d := newRateDetector(string(checks.RuleDNSQuerySpike), s.DNSQueryRate, s, rep)
	d.what = "queries"
	d.keep = func(*Record) bool { return true }
	return d
}
