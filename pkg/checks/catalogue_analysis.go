package checks

// analysisChecks lists the rules that analysis commands report (kubeconfig
// audit, access review): their metadata lives in the catalogue like every
// other rule's, their findings come from the command named in Command.
var analysisChecks = concat(kubeconfigChecks, accessChecks, controlplaneChecks, detectChecks)

func concat(lists ...[]*Check) []*Check {
	var out []*Check
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
