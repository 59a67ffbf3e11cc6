package auditlog

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// impersonation reports audit-impersonation: final records with
// impersonatedUser set. Allowed requests are high when they impersonated a
// system: user or the system:masters group, or wrote anything, medium
// otherwise; denied attempts and trusted impersonators (authenticating
// proxies) are low. The object is the impersonator.
type impersonation struct{ env *Env }

func init() {
	register(func(env *Env) detector { return impersonation{env: env} }, checks.RuleAuditImpersonation)
}

func (d impersonation) observe(ev *Event, r *Reporter) {
	if !ev.Final() || ev.Impersonated == nil {
		return
	}
	as := ev.Impersonated
	sev := finding.SeverityMedium
	why := ""
	switch {
	case strings.HasPrefix(as.Username, "system:"):
		sev, why = finding.SeverityHigh, ", a system identity"
	case slices.Contains(as.Groups, "system:masters"):
		sev, why = finding.SeverityHigh, ", in group system:masters"
	case ev.Mutating():
		sev, why = finding.SeverityHigh, ", to write"
	}
	outcome := "acted"
	if !ev.Allowed() {
		sev, outcome = finding.SeverityLow, "tried to act"
	}
	if d.env.Settings.Trusted(ev.User.Username) {
		sev = finding.SeverityLow
	}
	target := as.Username
	if target == "" {
		target = "groups " + strings.Join(as.Groups, ",")
	}
	var related []finding.Related
	if as.Username != "" {
		related = []finding.Related{{Role: "impersonated", Object: UserRef(as.Username)}}
	}
	r.Report(Hit{
		Rule: checks.RuleAuditImpersonation, Object: UserRef(ev.User.Username), Severity: &sev,
		Message: fmt.Sprintf("%s %s as %s%s: %s from %s.", userText(ev.User.Username), outcome, target, why, ev.Action(),
			clientText(ev)),
		Events:  []finding.Event{ev.Evidence()},
		Related: related,
	})
}

// userText names a user for a message.
func userText(user string) string {
	if user == "" {
		return "(unauthenticated)"
	}
	return user
}

func (impersonation) advance(time.Time, *Reporter) {}
func (impersonation) flush(*Reporter)              {}
