package auditlog

import (
	"fmt"
	"strings"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// tokenRequest reports audit-token-request: final records of create
// serviceaccounts/token by people (high) and by ServiceAccounts for another
// ServiceAccount (medium). Kubelets and other system components, trusted
// identities and ServiceAccounts asking for their own token are not
// reported; denied requests are low. The object is the ServiceAccount the
// token is for. The token itself is never logged by the API server, and
// the decoder drops the body of token requests.
type tokenRequest struct{ env *Env }

func init() {
	register(func(env *Env) detector { return tokenRequest{env: env} }, checks.RuleAuditTokenRequest)
}

func (d tokenRequest) observe(ev *Event, r *Reporter) {
	if !ev.Final() || ev.Verb != "create" || ev.Object.Resource != "serviceaccounts" || ev.Object.Subresource != "token" ||
		ev.Object.APIGroup != "" {
		return
	}
	user := ev.User.Username
	if IsSystem(user) || strings.HasPrefix(user, "system:node:") || d.env.Settings.Trusted(user) {
		return
	}
	target := finding.ObjectRef{APIVersion: "v1", Kind: "ServiceAccount", Namespace: ev.Object.Namespace, Name: ev.Object.Name}
	sev := finding.SeverityHigh
	if ns, name, ok := IsServiceAccount(user); ok {
		if ns == target.Namespace && name == target.Name {
			return
		}
		sev = finding.SeverityMedium
	}
	verb := "requested"
	if !ev.Allowed() {
		sev = finding.SeverityLow
		verb = "was refused"
	}
	r.Report(Hit{
		Rule: checks.RuleAuditTokenRequest, Object: target, Severity: &sev,
		Message: fmt.Sprintf("%s %s a token for ServiceAccount %s/%s from %s.", ev.Actor(), verb, target.Namespace, target.Name,
			clientText(ev)),
		Events:  []finding.Event{ev.Evidence()},
		Related: []finding.Related{{Role: "actor", Object: UserRef(user)}},
	})
}

func (tokenRequest) advance(time.Time, *Reporter) {}
func (tokenRequest) flush(*Reporter)              {}
