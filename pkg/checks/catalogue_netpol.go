package checks

// netpolChecks lists the network rules: each reads the NetworkPolicy model
// and its reachability summary (pkg/analysis/netpol), built once per
// inventory and shared.
var netpolChecks = []*Check{
	netpolNoDefaultDenyIngress,
	netpolNoDefaultDenyEgress,
	netpolPodNotIsolated,
	netpolEgressToInternet,
	netpolEgressToMetadata,
	netpolSelectsNothing,
	netpolOpenToAllNamespaces,
}
