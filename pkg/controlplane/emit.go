package controlplane

import (
	"fmt"
	"sync"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// ruleIDs are the rules this package reports itself; the cloud and live
// probe rules come from CheckCloud and ProbeLive.
var ruleIDs = []finding.RuleID{
	checks.RuleAPIServerAnonymousAuth, checks.RuleAPIServerInsecureAuthorization, checks.RuleAPIServerStaticTokenFile,
	checks.RuleAPIServerNoOIDC, checks.RuleAPIServerAuditDisabled, checks.RuleAPIServerAuditPolicyWeak,
	checks.RuleAPIServerProfilingEnabled, checks.RuleAPIServerAdmissionMissing, checks.RuleEtcdEncryptionDisabled,
	checks.RuleEtcdClientTLSDisabled, checks.RuleEtcdPeerTLSDisabled, checks.RuleEtcdClientCertAuthDisabled,
	checks.RuleKubeletAnonymousAuth, checks.RuleKubeletAuthorizationAlwaysAllow, checks.RuleKubeletReadOnlyPort,
}

// ruleSet indexes the control-plane rules' metadata by id, built once.
var ruleSet = sync.OnceValue(func() map[finding.RuleID]*checks.Check {
	m := map[finding.RuleID]*checks.Check{}
	for _, c := range checks.ControlplaneRules() {
		m[c.ID] = c
	}
	return m
})

// Rules returns the metadata of every rule `kharden controlplane check`
// can report, the cloud and live-probe ones included.
func Rules() []*checks.Check { return checks.ControlplaneRules() }

// emitter builds findings from the catalogue's metadata.
type emitter struct {
	out []finding.Finding
}

// add reports rule id on obj; src may be nil.
func (e *emitter) add(id finding.RuleID, obj finding.ObjectRef, src *finding.Source, path, format string, args ...any) {
	c, ok := ruleSet()[id]
	if !ok {
		panic(fmt.Sprintf("controlplane: rule %s missing from checks.ControlplaneRules", id))
	}
	e.out = append(e.out, finding.Finding{
		Rule:        c.ID,
		Category:    c.Category,
		Severity:    c.Severity,
		Object:      obj,
		Source:      src,
		Path:        path,
		Message:     fmt.Sprintf(format, args...),
		Remediation: c.Remediation,
		References:  append([]string(nil), c.References...),
	})
}

// flagSource locates a flag of a static pod; line 0 (flag absent) gives
// the file alone.
func flagSource(p *StaticPod, f Flag) *finding.Source {
	return &finding.Source{File: p.File, Line: f.Line}
}
