package controlplane

import (
	"strings"

	"go.yaml.in/yaml/v3"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// apiserver is a kube-apiserver static pod with the configuration files its
// flags name, each nil when the flag is absent or the file unreadable.
type apiserver struct {
	pod       *StaticPod
	authn     *apiserverv1.AuthenticationConfiguration
	authnFile *configFile
	authz     *apiserverv1.AuthorizationConfiguration
	authzFile *configFile
	audit     *auditv1.Policy
	auditFile *configFile
	enc       *apiserverv1.EncryptionConfiguration
	encFile   *configFile
	// unreadable names the flags whose file could not be read: rules that
	// depend on them stay silent rather than guess.
	unreadable map[string]bool
}

// loadAPIServer reads the files the API server's flags name, resolved
// against root. Token files are checked to exist, never read.
func loadAPIServer(root string, p *StaticPod) (*apiserver, []error) {
	a := &apiserver{pod: p, unreadable: map[string]bool{}}
	var errs []error
	load := func(name string, read func(Flag) error) {
		f, ok := p.Flags.Get(name)
		if !ok || f.Value == "" {
			return
		}
		if err := read(f); err != nil {
			a.unreadable[name] = true
			errs = append(errs, err)
		}
	}
	load("authentication-config", func(f Flag) (err error) { a.authn, a.authnFile, err = readAuthentication(root, f); return })
	load("authorization-config", func(f Flag) (err error) { a.authz, a.authzFile, err = readAuthorization(root, f); return })
	load("audit-policy-file", func(f Flag) (err error) { a.audit, a.auditFile, err = readAuditPolicy(root, f); return })
	load("encryption-provider-config", func(f Flag) (err error) { a.enc, a.encFile, err = readEncryption(root, f); return })
	load("admission-control-config-file", func(f Flag) error { _, _, err := readAdmission(root, f); return err })
	load("token-auth-file", func(f Flag) error { return checkExists(root, f) })
	return a, errs
}

// fileSource locates a node of a referenced configuration file.
func fileSource(cf *configFile, n *yaml.Node) *finding.Source {
	s := &finding.Source{File: cf.Path}
	if n != nil {
		s.Line = n.Line
	}
	return s
}

// healthPaths are the paths anonymous requests may be limited to.
var healthPaths = map[string]bool{"/healthz": true, "/livez": true, "/readyz": true}

// checkAnonymousAuth: an AuthenticationConfiguration's anonymous section
// wins over --anonymous-auth (the server refuses both); enabled is fine
// only with conditions that all name health paths.
func checkAnonymousAuth(a *apiserver, e *emitter) {
	obj := a.pod.Object
	if a.unreadable["authentication-config"] {
		return
	}
	if a.authn != nil && a.authn.Anonymous != nil {
		an := a.authn.Anonymous
		if !an.Enabled {
			return
		}
		node := lookup(lookup(a.authnFile.Node, "anonymous"), "enabled")
		if len(an.Conditions) == 0 {
			e.add(checks.RuleAPIServerAnonymousAuth, obj, fileSource(a.authnFile, node), "anonymous.enabled",
				"the AuthenticationConfiguration enables anonymous requests on every path")
			return
		}
		for _, c := range an.Conditions {
			if !healthPaths[c.Path] {
				e.add(checks.RuleAPIServerAnonymousAuth, obj, fileSource(a.authnFile, node), "anonymous.conditions",
					"the AuthenticationConfiguration enables anonymous requests on %s, not only on health paths", c.Path)
				return
			}
		}
		return
	}
	on, f, err := a.pod.Flags.Bool("anonymous-auth", true)
	if err != nil || !on {
		return
	}
	msg := "--anonymous-auth is not set; the API server's default is true"
	if f.Name != "" {
		msg = "--anonymous-auth is true"
	}
	// kube-apiserver turns the flag off while AlwaysAllow is among the
	// authorization modes (BuiltInAuthenticationOptions.ApplyAuthorization):
	// still reported, since replacing AlwaysAllow turns it back on.
	if modes, _ := a.pod.Flags.List("authorization-mode"); a.authz == nil && (len(modes) == 0 || contains(modes, "AlwaysAllow")) {
		msg += " (the API server ignores it while AlwaysAllow authorizes, and honours it as soon as AlwaysAllow is replaced)"
	}
	e.add(checks.RuleAPIServerAnonymousAuth, obj, flagSource(a.pod, f), "--anonymous-auth", "%s", msg)
}

// checkAuthorization reports AlwaysAllow or ABAC authorizers.
func checkAuthorization(a *apiserver, e *emitter) {
	obj := a.pod.Object
	if a.unreadable["authorization-config"] {
		return
	}
	if a.authz != nil {
		list := lookup(a.authzFile.Node, "authorizers")
		for i, az := range a.authz.Authorizers {
			if az.Type == "AlwaysAllow" || az.Type == "ABAC" {
				var n *yaml.Node
				if list != nil && i < len(list.Content) {
					n = lookup(list.Content[i], "type")
				}
				e.add(checks.RuleAPIServerInsecureAuthorization, obj, fileSource(a.authzFile, n), "authorizers[].type",
					"the AuthorizationConfiguration has an authorizer of type %s", az.Type)
			}
		}
		return
	}
	modes, f := a.pod.Flags.List("authorization-mode")
	if len(modes) == 0 {
		e.add(checks.RuleAPIServerInsecureAuthorization, obj, flagSource(a.pod, f), "--authorization-mode",
			"neither --authorization-mode nor --authorization-config is set; the API server's default is AlwaysAllow")
		return
	}
	for _, m := range modes {
		if m == "AlwaysAllow" || m == "ABAC" {
			e.add(checks.RuleAPIServerInsecureAuthorization, obj, flagSource(a.pod, f), "--authorization-mode",
				"--authorization-mode includes %s", m)
		}
	}
}

// checkStaticTokenFile reports --token-auth-file, by name only.
func checkStaticTokenFile(a *apiserver, e *emitter) {
	if f, ok := a.pod.Flags.Get("token-auth-file"); ok && f.Value != "" {
		e.add(checks.RuleAPIServerStaticTokenFile, a.pod.Object, flagSource(a.pod, f), "--token-auth-file",
			"--token-auth-file names a static token file (%s)", f.Value)
	}
}

// checkOIDC reports, as information, an API server without a JWT
// authenticator.
func checkOIDC(a *apiserver, e *emitter) {
	if a.pod.Flags.Has("oidc-issuer-url") || a.unreadable["authentication-config"] {
		return
	}
	if a.authn != nil && len(a.authn.JWT) > 0 {
		return
	}
	e.add(checks.RuleAPIServerNoOIDC, a.pod.Object, &finding.Source{File: a.pod.File}, "--oidc-issuer-url",
		"no --oidc-issuer-url and no jwt authenticator in an AuthenticationConfiguration")
}

// checkAuditEnabled needs a backend and a policy.
func checkAuditEnabled(a *apiserver, e *emitter) {
	fl := a.pod.Flags
	backend := fl.Has("audit-log-path") || fl.Has("audit-webhook-config-file")
	policy := fl.Has("audit-policy-file")
	switch {
	case !backend && !policy:
		e.add(checks.RuleAPIServerAuditDisabled, a.pod.Object, &finding.Source{File: a.pod.File}, "--audit-policy-file",
			"no --audit-policy-file and no audit backend (--audit-log-path, --audit-webhook-config-file)")
	case !backend:
		f, _ := fl.Get("audit-policy-file")
		e.add(checks.RuleAPIServerAuditDisabled, a.pod.Object, flagSource(a.pod, f), "--audit-log-path",
			"an audit policy is set but no backend (--audit-log-path, --audit-webhook-config-file) receives the events")
	case !policy:
		e.add(checks.RuleAPIServerAuditDisabled, a.pod.Object, &finding.Source{File: a.pod.File}, "--audit-policy-file",
			"an audit backend is set but no --audit-policy-file: without a policy nothing is audited")
	}
}

// checkProfiling reports --profiling not false.
func checkProfiling(a *apiserver, e *emitter) {
	on, f, err := a.pod.Flags.Bool("profiling", true)
	if err != nil || !on {
		return
	}
	msg := "--profiling is not set; the API server's default is true"
	if f.Name != "" {
		msg = "--profiling is true"
	}
	e.add(checks.RuleAPIServerProfilingEnabled, a.pod.Object, flagSource(a.pod, f), "--profiling", "%s", msg)
}

// defaultAdmissionPlugins are the plugins kube-apiserver enables by default
// that the rule asks for (k8s.io/kubernetes pkg/kubeapiserver/options
// DefaultOffAdmissionPlugins): PodSecurity is on by default since 1.25,
// NodeRestriction is not.
var defaultAdmissionPlugins = map[string]bool{"PodSecurity": true}

// requiredAdmissionPlugins are the plugins the rule asks for.
var requiredAdmissionPlugins = []string{"NodeRestriction", "PodSecurity"}

// checkAdmission computes the enabled plugins.
func checkAdmission(a *apiserver, e *emitter) {
	fl := a.pod.Flags
	enabled := map[string]bool{}
	legacy, lf := fl.List("admission-control")
	if lf.Name != "" {
		// The deprecated flag replaces the default list.
		for _, p := range legacy {
			enabled[p] = true
		}
	} else {
		for p := range defaultAdmissionPlugins {
			enabled[p] = true
		}
	}
	on, onf := fl.List("enable-admission-plugins")
	for _, p := range on {
		enabled[p] = true
	}
	off, offf := fl.List("disable-admission-plugins")
	for _, p := range off {
		delete(enabled, p)
	}
	for _, p := range requiredAdmissionPlugins {
		if enabled[p] {
			continue
		}
		f, path := onf, "--enable-admission-plugins"
		if contains(off, p) {
			f, path = offf, "--disable-admission-plugins"
		}
		e.add(checks.RuleAPIServerAdmissionMissing, a.pod.Object, flagSource(a.pod, f), path,
			"admission plugin %s is not enabled", p)
	}
}

// checkEncryption reports Secrets not encrypted by the first provider.
func checkEncryption(a *apiserver, e *emitter) {
	f, ok := a.pod.Flags.Get("encryption-provider-config")
	if !ok || f.Value == "" {
		e.add(checks.RuleEtcdEncryptionDisabled, a.pod.Object, &finding.Source{File: a.pod.File}, "--encryption-provider-config",
			"no --encryption-provider-config: Secrets are stored in etcd in plain text")
		return
	}
	if a.enc == nil {
		return
	}
	list := lookup(a.encFile.Node, "resources")
	for i, rc := range a.enc.Resources {
		if !coversSecrets(rc.Resources) {
			continue
		}
		var n *yaml.Node
		if list != nil && i < len(list.Content) {
			n = list.Content[i]
		}
		if len(rc.Providers) == 0 {
			e.add(checks.RuleEtcdEncryptionDisabled, a.pod.Object, fileSource(a.encFile, n), "resources[].providers",
				"the EncryptionConfiguration entry for secrets has no provider")
			return
		}
		if rc.Providers[0].Identity != nil {
			e.add(checks.RuleEtcdEncryptionDisabled, a.pod.Object, fileSource(a.encFile, lookup(n, "providers")), "resources[].providers[0]",
				"the first provider for secrets is identity: new Secrets are written in plain text")
		}
		return
	}
	e.add(checks.RuleEtcdEncryptionDisabled, a.pod.Object, fileSource(a.encFile, list), "resources",
		"the EncryptionConfiguration has no entry for secrets")
}

// coversSecrets reports whether an EncryptionConfiguration resources list
// matches core/v1 secrets.
func coversSecrets(rs []string) bool {
	for _, r := range rs {
		switch strings.TrimSpace(r) {
		case "secrets", "secrets.", "*.", "*.*":
			return true
		}
	}
	return false
}

// checkAPIServerEtcdTLS reports an API server that talks to etcd without
// TLS or without a client certificate.
func checkAPIServerEtcdTLS(a *apiserver, e *emitter) {
	fl := a.pod.Flags
	servers, sf := fl.List("etcd-servers")
	for _, s := range servers {
		if strings.HasPrefix(strings.ToLower(s), "http://") {
			e.add(checks.RuleEtcdClientTLSDisabled, a.pod.Object, flagSource(a.pod, sf), "--etcd-servers",
				"--etcd-servers uses plain http (%s)", s)
			return
		}
	}
	if !fl.Has("etcd-certfile") || !fl.Has("etcd-keyfile") {
		e.add(checks.RuleEtcdClientTLSDisabled, a.pod.Object, flagSource(a.pod, sf), "--etcd-certfile",
			"no --etcd-certfile and --etcd-keyfile: the API server does not authenticate to etcd with a certificate")
	}
}

// apiserverChecks are the API server rules, in report order.
var apiserverChecks = []func(*apiserver, *emitter){
	checkAnonymousAuth, checkAuthorization, checkStaticTokenFile, checkOIDC, checkAuditEnabled, checkAuditPolicy,
	checkProfiling, checkAdmission, checkEncryption, checkAPIServerEtcdTLS,
}
