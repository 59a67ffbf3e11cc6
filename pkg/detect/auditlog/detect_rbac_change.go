package auditlog

import (
	"fmt"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// rbacChange reports audit-rbac-change-outside-window: final records of
// allowed create, update, patch, delete and deletecollection of roles,
// rolebindings, clusterroles and clusterrolebindings
// (rbac.authorization.k8s.io) outside detect.maintenanceWindows, by
// identities that are neither system components nor trusted. Cluster-scoped
// changes are high.
type rbacChange struct{ env *Env }

func init() {
	register(func(env *Env) detector { return rbacChange{env: env} }, checks.RuleAuditRBACChangeOutsideWin)
}

// rbacVerbs are the verbs rbacChange reports, as the message says them.
var rbacVerbs = map[string]string{
	"create": "created", "update": "updated", "patch": "patched", "delete": "deleted", "deletecollection": "deleted all",
}

func (d rbacChange) observe(ev *Event, r *Reporter) {
	if !ev.Final() || !ev.Allowed() || ev.Object.APIGroup != "rbac.authorization.k8s.io" || ev.Object.Subresource != "" {
		return
	}
	past, ok := rbacVerbs[ev.Verb]
	if !ok {
		return
	}
	sev := finding.SeverityMedium
	switch ev.Object.Resource {
	case "roles", "rolebindings":
	case "clusterroles", "clusterrolebindings":
		sev = finding.SeverityHigh
	default:
		return
	}
	user := ev.User.Username
	s := d.env.Settings
	if IsSystem(user) || s.Trusted(user) || s.InMaintenance(ev.Time) {
		return
	}
	when := "outside the maintenance windows"
	if len(s.Windows) == 0 {
		when = "(no maintenance window is configured)"
	}
	obj := ResourceRef(ev)
	what := obj.Kind
	if ev.Verb == "deletecollection" {
		what = ev.Object.Resource
		if ev.Object.Namespace != "" {
			what += " in " + ev.Object.Namespace
		}
	} else if obj.Namespace != "" {
		what += " " + obj.Namespace + "/" + obj.Name
	} else {
		what += " " + obj.Name
	}
	r.Report(Hit{
		Rule: checks.RuleAuditRBACChangeOutsideWin, Object: obj, Severity: &sev,
		Message: fmt.Sprintf("%s %s %s at %s from %s %s.", ev.Actor(), past, what, ev.Time.UTC().Format(time.RFC3339),
			clientText(ev), when),
		Events:  []finding.Event{ev.Evidence()},
		Related: []finding.Related{{Role: "actor", Object: UserRef(user)}},
	})
}

func (rbacChange) advance(time.Time, *Reporter) {}
func (rbacChange) flush(*Reporter)              {}
