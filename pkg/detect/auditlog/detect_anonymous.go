package auditlog

import (
	"fmt"
	"strings"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// anonymous reports audit-anonymous-request: final records of requests by
// system:anonymous or a member of system:unauthenticated that were allowed,
// except the paths the default system:public-info-viewer ClusterRole grants
// (/healthz, /livez, /readyz and their sub-paths, /version). Reads of
// Secrets and writes are critical. The object is the source address.
type anonymous struct{}

func init() {
	register(func(*Env) detector { return anonymous{} }, checks.RuleAuditAnonymousRequest)
}

func (anonymous) observe(ev *Event, r *Reporter) {
	if !ev.Final() || !ev.Anonymous() || !ev.Allowed() || publicInfo(ev) {
		return
	}
	sev := finding.SeverityHigh
	if ev.Mutating() || (ev.Object.Resource == "secrets" && ev.Object.APIGroup == "") {
		sev = finding.SeverityCritical
	}
	why := ""
	if ev.Reason != "" {
		why = " (" + ev.Reason + ")"
	}
	who := ev.User.Username
	if who == "" {
		who = "an unauthenticated caller"
	}
	r.Report(Hit{
		Rule: checks.RuleAuditAnonymousRequest, Object: SourceRef(ev.SourceIP()), Severity: &sev,
		Message: fmt.Sprintf("%s from %s was allowed to %s%s.", who, clientText(ev), ev.Action(), why),
		Events:  []finding.Event{ev.Evidence()},
	})
}

// publicInfo reports whether the request is one system:public-info-viewer
// grants to everyone.
func publicInfo(ev *Event) bool {
	if ev.HasObject || ev.Verb != "get" {
		return false
	}
	p := trimQuery(ev.RequestURI)
	if p == "/version" || p == "/version/" {
		return true
	}
	for _, h := range []string{"/healthz", "/livez", "/readyz"} {
		if p == h || strings.HasPrefix(p, h+"/") {
			return true
		}
	}
	return false
}

func (anonymous) advance(time.Time, *Reporter) {}
func (anonymous) flush(*Reporter)              {}
