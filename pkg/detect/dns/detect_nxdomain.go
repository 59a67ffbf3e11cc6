package dns

import (
	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
)

// newNXDomainBurst counts a client's NXDOMAIN answers per window
// (detect.dns.nxdomain), leaving out resolver search-path tries under the
// ignored suffixes (api.stripe.com.shop.svc.cluster.local.): pods with
// ndots:5 make them for every external name.
func newNXDomainBurst(s *config.DetectSettings, dom *domains, rep *reporter) *rateDetector {
	d := newRateDetector(string(checks.RuleDNSNXDomainBurst), s.DNSNXDomain, s, rep)
	d.what = "NXDOMAIN answers"
	d.keep = func(rec *Record) bool {
		if rec.Rcode != "NXDOMAIN" {
			return false
		}
		if sfx := dom.ignored(rec.Name); sfx != "" && dom.searchPathExpansion(rec.Name, sfx) {
			return false
		}
		return true
	}
	return d
}
