package controlplane

import (
	"strings"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// Each etcd rule reports at most once per pod: the first problem found.

// checkEtcdClientTLS: the etcd pod serves clients with a certificate and
// over https only.
func checkEtcdClientTLS(p *StaticPod, e *emitter) {
	if reportHTTP(p, e, checks.RuleEtcdClientTLSDisabled, "listen-client-urls", "advertise-client-urls") {
		return
	}
	for _, name := range []string{"cert-file", "key-file"} {
		if !p.Flags.Has(name) {
			e.add(checks.RuleEtcdClientTLSDisabled, p.Object, flagSource(p, Flag{}), "--"+name,
				"etcd has no --%s: clients connect without TLS", name)
			return
		}
	}
}

// checkEtcdPeerTLS: members talk to each other over mutual TLS.
func checkEtcdPeerTLS(p *StaticPod, e *emitter) {
	if reportHTTP(p, e, checks.RuleEtcdPeerTLSDisabled, "listen-peer-urls", "initial-advertise-peer-urls") {
		return
	}
	for _, name := range []string{"peer-cert-file", "peer-key-file"} {
		if !p.Flags.Has(name) {
			e.add(checks.RuleEtcdPeerTLSDisabled, p.Object, flagSource(p, Flag{}), "--"+name,
				"etcd has no --%s: peers replicate without TLS", name)
			return
		}
	}
	if on, f, err := p.Flags.Bool("peer-client-cert-auth", false); err == nil && !on {
		e.add(checks.RuleEtcdPeerTLSDisabled, p.Object, flagSource(p, f), "--peer-client-cert-auth",
			"--peer-client-cert-auth is not true: etcd accepts peers without a certificate")
	}
}

// checkEtcdClientCertAuth: --client-cert-auth defaults to false.
func checkEtcdClientCertAuth(p *StaticPod, e *emitter) {
	on, f, err := p.Flags.Bool("client-cert-auth", false)
	if err == nil && on {
		return
	}
	e.add(checks.RuleEtcdClientCertAuthDisabled, p.Object, flagSource(p, f), "--client-cert-auth",
		"--client-cert-auth is not true: any client that reaches etcd reads and writes the cluster state")
}

// reportHTTP reports the first http:// URL among the flags, if any.
func reportHTTP(p *StaticPod, e *emitter, id finding.RuleID, flags ...string) bool {
	for _, name := range flags {
		urls, f := p.Flags.List(name)
		for _, u := range urls {
			if strings.HasPrefix(strings.ToLower(u), "http://") {
				e.add(id, p.Object, flagSource(p, f), "--"+name, "--%s uses plain http (%s)", name, u)
				return true
			}
		}
	}
	return false
}

// etcdChecks are the etcd rules, in report order.
var etcdChecks = []func(*StaticPod, *emitter){checkEtcdClientTLS, checkEtcdPeerTLS, checkEtcdClientCertAuth}
