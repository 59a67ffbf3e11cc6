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
// securityContext.privileged is true, and privileged ephemeral containers
// added to running pods (pods/ephemeralcontainers). Mirror pods and pods
// the cluster's own controllers create in kube-system are skipped.
type privilegedPodDetector struct{ env *Env }

func (d *privilegedPodDetector) observe(ev *Event, r *Reporter) {
	spec, ephemeral, ok := podWrite(ev)
	if !ok || mirrorPod(ev, &spec) {
		return
	}
	// CNI, kube-proxy and CSI node plugins are privileged by design; the
	// DaemonSet controller creates their pods in kube-system.
	if spec.Namespace == "kube-system" && IsSystem(ev.User.Username) && !ephemeral {
		return
	}
	var paths []string
	for _, c := range spec.privileged() {
		if ephemeral && !c.Ephemeral {
			continue
		}
		paths = append(paths, c.Path+" ("+c.Name+")")
	}
	if len(paths) == 0 {
		return
	}
	sev := finding.SeverityHigh
	if d.env.Config.IsProduction(spec.Namespace) {
		sev = finding.SeverityCritical
	}
	obj := ResourceRef(ev)
	what := "created pod " + objName(spec.Namespace, obj.Name)
	if ephemeral {
		what = "added an ephemeral container to pod " + objName(spec.Namespace, obj.Name)
	}
	r.Report(Hit{
		Rule: checks.RuleAuditPrivilegedPodCreated, Object: obj, Severity: Sev(sev),
		Message: ev.Actor() + " " + what + " with privileged " + objPlural(len(paths), "container", "containers") + " " +
			strings.Join(paths, ", ") + ".",
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
