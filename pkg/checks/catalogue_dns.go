package checks

import "github.com/kharden/kharden/pkg/finding"

const (
	dnsRefNSA       = "NSA/CISA Kubernetes Hardening Guide: Audit logging and threat detection"
	dnsRefC2        = "MITRE ATT&CK T1071.004 Application Layer Protocol: DNS"
	dnsRefExfil     = "MITRE ATT&CK T1048 Exfiltration Over Alternative Protocol"
	dnsRefDGA       = "MITRE ATT&CK T1568.002 Dynamic Resolution: Domain Generation Algorithms"
	dnsRefMiner     = "MITRE ATT&CK T1496 Resource Hijacking"
	dnsRefDiscovery = "MITRE ATT&CK T1046 Network Service Discovery"
)

// dnsChecks are the rules of `kharden dns analyze`, which reads CoreDNS
// `log` plugin lines (pkg/detect/dns).
var dnsChecks = []*Check{
	{
		ID: RuleDNSQuerySpike, Category: finding.CategoryDetection, Severity: finding.SeverityMedium,
		Summary: "A DNS client sends far more queries than it usually does",
		Doc: "Counts the queries of each client address in windows of detect.window (default 1m) and compares each " +
			"window with the client's own baseline (an exponentially weighted average of its earlier windows). A window " +
			"fires when it holds at least detect.dns.queryRate.min queries (default 300) and more than " +
			"detect.dns.queryRate.factor (default 10) times the baseline; windows in the first detect.warmup (default 10m) " +
			"of the log only learn. A client first seen after the warm-up has a baseline of zero. Queries without a " +
			"timestamp (and no earlier timed line) cannot be placed in a window and are not counted. Known false " +
			"positives: a job or CronJob starting a batch, a pod restarting into a resolution loop, a cache flush after " +
			"a CoreDNS restart.",
		Remediation: "Find the pod behind the address (the finding names it when the pods were given with -f or " +
			"--cluster), look at what it resolves in the evidence, and stop it or fix its resolver settings (ndots, a " +
			"local cache such as NodeLocal DNSCache). Unexpected volume to one external domain is a sign of " +
			"exfiltration: isolate the pod and restrict its egress.",
		References: []string{dnsRefExfil, "MITRE ATT&CK T1498 Network Denial of Service", dnsRefNSA},
		Engine:     EngineAnalysis, Command: DNSCommand, AnyKind: true,
	},
	{
		ID: RuleDNSRandomDomains, Category: finding.CategoryDetection, Severity: finding.SeverityHigh,
		Summary: "A DNS client asks for random-looking names: tunnelling, a beacon or a DGA",
		Doc: "Splits each name into its registered domain (the public suffix list's eTLD+1) and the labels left of it, " +
			"and judges a label random-looking when two of these agree: few vowels, a run of five consonants, digits " +
			"mixed into letters, high character entropy in a label of 14 or more characters, a label of 24 or more " +
			"characters. Per client, registered domain and window (detect.window) it fires when the client asked for " +
			"at least detect.dns.uniqueSubdomains (default 50) unique names under the domain and at least half of its " +
			"queries there looked random (tunnelling, exfiltration, cryptominer pools); when it made 10 or more TXT " +
			"queries for random-looking names of 20 or more characters under one domain (TXT tunnelling); or when it " +
			"asked for 10 or more distinct random-looking registered domains, most answered NXDOMAIN (a domain " +
			"generation algorithm). Names under detect.dns.ignoreSuffixes (default cluster.local., in-addr.arpa., " +
			"ip6.arpa.) are never judged. A few lookups of hashed CDN names (d1a2b3c4.cloudfront.net) stay below " +
			"every threshold. Known false positives: services that put hashes in host names at volume (some " +
			"telemetry and anti-virus lookups, DNS-based service discovery of cloud providers); add their domains " +
			"to detect.dns.ignoreSuffixes.",
		Remediation: "Treat the pod as compromised: isolate it with a NetworkPolicy that denies egress, keep its " +
			"logs and image for analysis, then delete it and find how it was started (image, exec, a vulnerable " +
			"application). Block the domain at the resolver (a CoreDNS rule or a policy of the egress firewall) and " +
			"allow pods to reach only the DNS servers of the cluster.",
		References: []string{dnsRefC2, dnsRefDGA, dnsRefExfil, dnsRefMiner, dnsRefNSA},
		Engine:     EngineAnalysis, Command: DNSCommand, AnyKind: true,
	},
	{
		ID: RuleDNSNXDomainBurst, Category: finding.CategoryDetection, Severity: finding.SeverityMedium,
		Summary: "A DNS client receives far more NXDOMAIN answers than it usually does",
		Doc: "Counts the NXDOMAIN answers of each client address in windows of detect.window (default 1m) against the " +
			"client's own baseline; a window fires with at least detect.dns.nxdomain.min answers (default 30) and more " +
			"than detect.dns.nxdomain.factor (default 5) times the baseline, after detect.warmup. Resolver search-path " +
			"tries are not counted: a dotted name with a search domain under detect.dns.ignoreSuffixes appended " +
			"(api.stripe.com.shop.svc.cluster.local., api.stripe.com.cluster.local., and google.com.svc.cluster.local. " +
			"where the middle label is a top-level domain), which pods with ndots:5 ask before every external name. " +
			"Bursts come from domain generation algorithms, scans of service names, and broken configuration. Known " +
			"false positives: an application deployed with a wrong service name, a missing service in a namespace " +
			"named like a top-level domain is not counted.",
		Remediation: "Look at the names in the evidence: service names across namespaces suggest discovery by an " +
			"attacker (restrict the pod's egress and review its ServiceAccount); random names suggest a DGA (see " +
			"dns-random-domains); a single wrong name is a configuration error to fix in the application.",
		References: []string{dnsRefDGA, dnsRefDiscovery, dnsRefNSA},
		Engine:     EngineAnalysis, Command: DNSCommand, AnyKind: true,
	},
}
