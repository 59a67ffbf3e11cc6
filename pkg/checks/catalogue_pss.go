package checks

// pssChecks lists the rules evaluated by the pss engine: every check of
// k8s.io/pod-security-admission is bound to at least one of them
// (TestEveryPSACheckIsBound).
var pssChecks = []*Check{
	privilegedContainer,
	hostNetwork,
	hostPID,
	hostIPC,
	hostPort,
	hostPathVolume,
	privilegeEscalationAllowed,
	runAsRoot,
	capabilitiesNotDropped,
	dangerousCapabilityAdded,
	seccompProfileMissing,
	seccompProfileUnconfined,
	procMountUnmasked,
	unsafeSysctl,
	apparmorProfileUnconfined,
	selinuxOptionsCustom,
	windowsHostProcess,
	restrictedVolumeType,
	hostProbeOrLifecycleHost,
}
