package checks

import (
	"net/netip"

	"github.com/kharden/kharden/pkg/analysis/netpol"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// netpolEgressToMetadata reports workloads whose pods may connect to a
// cloud instance metadata endpoint, 169.254.169.254 or fd00:ec2::254:
// their egress is not isolated, or an egress rule of a policy selecting
// them admits the address (no to list, or an ipBlock containing it and not
// excepting it) on some port. Allowed: egress isolated, with every ipBlock
// that covers the address excepting it (169.254.169.254/32).
var netpolEgressToMetadata = &Check{
	ID:       "egress-to-metadata-endpoint",
	Category: finding.CategoryNetwork,
	Severity: finding.SeverityMedium,
	Summary:  "Workload's pods may reach the cloud metadata endpoint",
	Doc: "Checks whether each workload's pods may connect to the instance metadata endpoints 169.254.169.254 and " +
		"fd00:ec2::254: egress not isolated, or an egress rule admitting the address (an ipBlock such as 0.0.0.0/0 " +
		"without 169.254.169.254/32 among its excepts). On most clouds the endpoint hands out the node's credentials " +
		"to whoever asks from the node, and a pod's connections come from the node: a compromised pod becomes the " +
		"node's cloud identity." + netpolDocCommon,
	Remediation: "Isolate the pods' egress and add 169.254.169.254/32 (and fd00:ec2::254/128) to the except list of " +
		"every ipBlock that covers it; also require session tokens with a hop limit of 1 (IMDSv2) or use the " +
		"cloud's workload identity so that the node's credentials are not needed.",
	References: append(append([]string(nil), netpolRefs...), "MITRE ATT&CK T1552.005"),
	Engine:     EngineGo,
	Run:        runEgressToMetadata,
}

func runEgressToMetadata(p *Pass, o *inventory.Object) {
	f := netpolFactsOf(p.Inv)
	for _, w := range netpolGoverned(f, o) {
		cs := f.summary.Classes[w.Class.ID]
		var addrs []netip.Addr
		var rules []netpol.RuleRef
		seen := map[netpol.RuleRef]bool{}
		for i, e := range cs.Metadata {
			if !e.Allowed {
				continue
			}
			addrs = append(addrs, netpol.MetadataAddresses[i])
			for _, r := range e.Rules {
				if !seen[r] {
					seen[r] = true
					rules = append(rules, r)
				}
			}
		}
		if len(addrs) == 0 {
			continue
		}
		loc := Location{Path: podLabelsPath(o)}
		if !cs.EgressIsolated {
			loc.Message = podsOf(o) + " may connect to the cloud metadata endpoint " + addressList(addrs) +
				": no NetworkPolicy selects them for egress"
		} else {
			loc.Message = podsOf(o) + " may connect to the cloud metadata endpoint " + addressList(addrs) + " through " +
				rulesAllowing(rules, true)
			loc.Related = ruleRelated(rules, true)
		}
		p.Report(loc)
		return
	}
}
