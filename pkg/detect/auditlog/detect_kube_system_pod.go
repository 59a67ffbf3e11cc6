package auditlog

import (
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

func init() {
	register(func(env *Env) detector { return &kubeSystemPodDetector{} }, checks.RuleAuditPodInKubeSystem)
}

// kubeSystemPodDetector reports pods created in kube-system or kube-public
// by anyone but the cluster's own components (controllers, kubelets,
// ServiceAccounts of kube-system): Falco's "Pod Created in Kube Namespace".
type kubeSystemPodDetector struct{}

func (d *kubeSystemPodDetector) observe(ev *Event, r *Reporter) {
	spec, ephemeral, ok := podWrite(ev)
	if !ok || ephemeral || (spec.Namespace != "kube-system" && spec.Namespace != "kube-public") || IsSystem(ev.User.Username) {
		return
	}
	obj := ResourceRef(ev)
	r.Report(Hit{
		Rule: checks.RuleAuditPodInKubeSystem, Object: obj,
		Message: ev.Actor() + " created pod " + objName(spec.Namespace, obj.Name) + " in the system namespace " + spec.Namespace + ".",
		Events:  []finding.Event{ev.Evidence()},
		Related: []finding.Related{{Role: "subject", Object: UserRef(ev.User.Username)}},
	})
}

func (d *kubeSystemPodDetector) advance(time.Time, *Reporter) {}
func (d *kubeSystemPodDetector) flush(*Reporter)              {}
