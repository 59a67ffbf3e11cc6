package auditlog

import (
	"strconv"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

func init() {
	register(func(env *Env) detector { return &execDetector{env: env} }, checks.RuleAuditExecIntoPod)
}

// execDetector reports requests that open a shell or a stream into a pod:
// pods/exec, pods/attach and pods/portforward (create for SPDY clients, get
// for WebSocket ones), and ephemeral containers added with update or patch
// of pods/ephemeralcontainers. Denied attempts are reported too, at low
// severity. Severity: high in production namespaces and kube-system,
// medium elsewhere.
type execDetector struct{ env *Env }

// objExecActions describe the subresources for messages.
var objExecActions = map[string]string{
	"exec": "exec into", "attach": "attach to", "portforward": "port-forward to", "ephemeralcontainers": "add an ephemeral container to",
}

func (d *execDetector) observe(ev *Event, r *Reporter) {
	if !ev.Final() || ev.Object.Resource != "pods" || ev.Object.APIGroup != "" {
		return
	}
	action, ok := objExecActions[ev.Object.Subresource]
	if !ok {
		return
	}
	if ev.Object.Subresource == "ephemeralcontainers" {
		if ev.Verb != "update" && ev.Verb != "patch" {
			return
		}
	} else if ev.Verb != "create" && ev.Verb != "get" {
		return
	}
	ns := ev.Object.Namespace
	obj := ResourceRef(ev)
	sev := finding.SeverityMedium
	msg := ev.Actor() + " " + objExecDone[ev.Object.Subresource] + " pod " + objName(ns, obj.Name) + " (allowed)."
	switch {
	case !ev.Allowed():
		sev = finding.SeverityLow
		msg = ev.Actor() + " tried to " + action + " pod " + objName(ns, obj.Name) + " and was denied" + objOutcome(ev) + "."
	case d.env.Config.IsProduction(ns) || ns == "kube-system":
		sev = finding.SeverityHigh
	}
	r.Report(Hit{
		Rule: checks.RuleAuditExecIntoPod, Object: obj, Severity: Sev(sev), Message: msg,
		Events:  []finding.Event{ev.Evidence()},
		Related: []finding.Related{{Role: "subject", Object: UserRef(ev.User.Username)}},
	})
}

// objExecDone are the actions in the past tense.
var objExecDone = map[string]string{
	"exec": "executed a command in", "attach": "attached to", "portforward": "port-forwarded to",
	"ephemeralcontainers": "added an ephemeral container to",
}

// objOutcome renders a denied request's status code, " (403)".
func objOutcome(ev *Event) string {
	if ev.Code == 0 {
		return ""
	}
	return " (" + strconv.Itoa(ev.Code) + ")"
}

func (d *execDetector) advance(time.Time, *Reporter) {}
func (d *execDetector) flush(*Reporter)              {}
