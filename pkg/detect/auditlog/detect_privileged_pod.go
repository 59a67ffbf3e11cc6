package auditlog

import (
	"strings"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

func init() {
	register(func(env *Env) detector { return &privilegedPodDetector{env: env} }, checks.RuleAuditPrivilegedPodCreated)
}

// privilegedPodDetector reports pods created with a container whose
// securityContext.privileged is true, privileged ephemeral containers
// added to running pods (pods/ephemeralcontainers), and workload
// controllers a person creates or replaces with a privileged container in
// their pod template (the pods' own events name the controller). Mirror
// pods and pods the cluster's own controllers create in kube-system are
// skipped; a privileged DaemonSet a person puts there is not.
type privilegedPodDetector struct{ env *Env }

func (d *privilegedPodDetector) observe(ev *Event, r *Reporter) {
	spec, ephemeral, ok := podWrite(ev)
	if !ok {
		if spec, kind, ok := workloadWrite(ev); ok {
			d.report(ev, r, &spec, spec.privileged(), writeVerb(ev)+" "+kind, " in its pod template")
		}
		return
	}
	if mirrorPod(ev, &spec) {
		return
	}
	// CNI, kube-proxy and CSI node plugins are privileged by design; the
	// DaemonSet controller creates their pods in kube-system.
	if spec.Namespace == "kube-system" && IsSystem(ev.User.Username) && !ephemeral {
		return
	}
	var containers []podContainer
	for _, c := range spec.privileged() {
		if !ephemeral || c.Ephemeral {
			containers = append(containers, c)
		}
	}
	action := "created pod"
	if ephemeral {
		action = "added an ephemeral container to pod"
	}
	d.report(ev, r, &spec, containers, action, "")
}

// report writes one finding for the privileged containers of an object
// (a pod, an ephemeral container added to one, a workload's template).
func (d *privilegedPodDetector) report(ev *Event, r *Reporter, spec *podSpec, containers []podContainer, action, where string) {
	if len(containers) == 0 {
		return
	}
	paths := make([]string, 0, len(containers))
	for _, c := range containers {
		paths = append(paths, c.Path+" ("+c.Name+")")
	}
	sev := finding.SeverityHigh
	if d.env.Config.IsProduction(spec.Namespace) {
		sev = finding.SeverityCritical
	}
	obj := ResourceRef(ev)
	r.Report(Hit{
		Rule: checks.RuleAuditPrivilegedPodCreated, Object: obj, Severity: Sev(sev),
		Message: ev.Actor() + " " + action + " " + objName(spec.Namespace, obj.Name) + " with privileged " +
			objPlural(len(paths), "container", "containers") + " " + strings.Join(paths, ", ") + where + ".",
		Events:  []finding.Event{ev.Evidence()},
		Related: []finding.Related{{Role: "subject", Object: UserRef(ev.User.Username)}},
	})
}

func (d *privilegedPodDetector) advance(time.Time, *Reporter) {}
func (d *privilegedPodDetector) flush(*Reporter)              {}

// objPlural picks the word for n.
func objPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
