package auditlog

import (
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

func init() {
	register(func(env *Env) detector { return &admissionConfigDetector{env: env} }, checks.RuleAuditAdmissionConfigChanged)
}

// admissionConfigDetector reports changes (create, update, patch, delete)
// to the objects that decide admission: webhook configurations and
// admission policies with their bindings, by anyone but the API server
// and detect.trustedIdentities. Deletes and changes by identities that are
// not the cluster's own are high, the rest medium.
type admissionConfigDetector struct{ env *Env }

// objAdmissionResources are the admissionregistration.k8s.io resources
// watched.
var objAdmissionResources = map[string]bool{
	"validatingwebhookconfigurations": true, "mutatingwebhookconfigurations": true,
	"validatingadmissionpolicies": true, "validatingadmissionpolicybindings": true,
	"mutatingadmissionpolicies": true, "mutatingadmissionpolicybindings": true,
}

func (d *admissionConfigDetector) observe(ev *Event, r *Reporter) {
	if !ev.Final() || !ev.Allowed() || !ev.Mutating() || ev.Object.APIGroup != "admissionregistration.k8s.io" ||
		!objAdmissionResources[ev.Object.Resource] || ev.Object.Subresource != "" {
		return
	}
	user := ev.User.Username
	if user == "system:apiserver" || d.env.Settings.Trusted(user) {
		return
	}
	sev := finding.SeverityMedium
	if ev.Verb == "delete" || ev.Verb == "deletecollection" || !IsSystem(user) {
		sev = finding.SeverityHigh
	}
	obj := ResourceRef(ev)
	target := obj.Kind + " " + obj.Name
	if obj.Name == "" {
		target = obj.Kind + " objects"
	}
	r.Report(Hit{
		Rule: checks.RuleAuditAdmissionConfigChanged, Object: obj, Severity: Sev(sev),
		Message: ev.Actor() + " " + objPastTense(ev.Verb) + " " + target + ", which decides what the API server admits.",
		Events:  []finding.Event{ev.Evidence()},
		Related: []finding.Related{{Role: "subject", Object: UserRef(user)}},
	})
}

func (d *admissionConfigDetector) advance(time.Time, *Reporter) {}
func (d *admissionConfigDetector) flush(*Reporter)              {}
