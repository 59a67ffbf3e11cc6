package checks

// goChecks lists the rules written in Go: those that need more than the one
// object (other objects of the inventory, the clock) or more than CEL can say.
var goChecks = []*Check{
	serviceAccountTokenAutomounted,
	legacyServiceAccountToken,
	projectedTokenLongLived,
	hardcodedCredential,
	envDumpAtStartup,
	exceptionExpired,
	exceptionIncomplete,
}
