package controlplane

import (
	"github.com/kharden/kharden/pkg/checks"
)

// checkKubeletAnonymous: authentication.anonymous.enabled or
// --anonymous-auth true.
func checkKubeletAnonymous(k *Kubelet, e *emitter) {
	if s := k.AnonymousAuth; s.Value {
		e.add(checks.RuleKubeletAnonymousAuth, k.Object, s.Source, s.Path, "the kubelet accepts anonymous requests (%s is true%s)",
			s.Path, defaulted(s.Defaulted))
	}
}

// checkKubeletAuthorization: authorization.mode or --authorization-mode
// AlwaysAllow.
func checkKubeletAuthorization(k *Kubelet, e *emitter) {
	if s := k.Authorization; s.Value == "AlwaysAllow" {
		e.add(checks.RuleKubeletAuthorizationAlwaysAllow, k.Object, s.Source, s.Path,
			"the kubelet authorizes every request (%s is AlwaysAllow%s)", s.Path, defaulted(s.Defaulted))
	}
}

// checkKubeletReadOnlyPort: readOnlyPort or --read-only-port non-zero.
func checkKubeletReadOnlyPort(k *Kubelet, e *emitter) {
	if s := k.ReadOnlyPort; s.Value != 0 {
		e.add(checks.RuleKubeletReadOnlyPort, k.Object, s.Source, s.Path,
			"the kubelet serves the unauthenticated read-only port %d (%s%s)", s.Value, s.Path, defaulted(s.Defaulted))
	}
}

func defaulted(d bool) string {
	if d {
		return ", the default without a configuration file"
	}
	return ""
}

// kubeletChecks are the kubelet rules, in report order.
var kubeletChecks = []func(*Kubelet, *emitter){checkKubeletAnonymous, checkKubeletAuthorization, checkKubeletReadOnlyPort}
