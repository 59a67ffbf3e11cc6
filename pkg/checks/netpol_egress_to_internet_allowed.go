package checks

import (
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// netpolEgressToInternet reports workloads whose pods may connect to some
// public address: their egress is not isolated, or an egress rule of a
// policy selecting them admits a public address (a to list that is absent
// or empty, or an ipBlock whose CIDR minus its excepts holds an address
// outside the private, shared, loopback, link-local, documentation,
// multicast and reserved ranges) on some port. The finding names the
// rules that allow it. Allowed: egress isolated with ipBlocks limited to
// private space, or no ipBlock at all.
var netpolEgressToInternet = &Check{
	ID:       "egress-to-internet-allowed",
	Category: finding.CategoryNetwork,
	Severity: finding.SeverityLow,
	Summary:  "Workload's pods may connect to the internet",
	Doc: "Checks whether each workload's pods may open connections to a public address: egress not isolated by any " +
		"policy, or an egress rule with no to list or with an ipBlock admitting public space. The decision is exact, " +
		"not sampled: the address runs a block admits (its CIDR minus its excepts minus the non-public ranges of " +
		"RFC 6890) are tried at every boundary. Open egress lets a compromised pod download tools, reach a command " +
		"server and send data out; most workloads need only a few destinations." + netpolDocCommon,
	Remediation: "Isolate the pods' egress (a default deny for the namespace) and allow only the destinations they " +
		"need: in-cluster services by selector, and for the internet the narrowest CIDRs and ports, or an egress " +
		"proxy the pods must go through.",
	References: append(append([]string(nil), netpolRefs...), "MITRE ATT&CK T1048"),
	Engine:     EngineGo,
	Run:        runEgressToInternet,
}

func runEgressToInternet(p *Pass, o *inventory.Object) {
	f := netpolFactsOf(p.Inv)
	for _, w := range netpolGoverned(f, o) {
		e := f.summary.Classes[w.Class.ID].Internet
		if !e.Allowed {
			continue
		}
		loc := Location{Path: podLabelsPath(o)}
		if e.Open {
			loc.Message = podsOf(o) + " may connect to any address on the internet: no NetworkPolicy selects them for egress"
		} else {
			loc.Message = podsOf(o) + " may connect to internet addresses (" + e.Address.String() + ", for one) through " +
				rulesAllowing(e.Rules, true)
			loc.Related = ruleRelated(e.Rules, true)
		}
		p.Report(loc)
		return
	}
}
