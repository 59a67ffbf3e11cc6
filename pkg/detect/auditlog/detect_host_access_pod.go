package auditlog

import (
	"strings"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

func init() {
	register(func(env *Env) detector { return &hostAccessPodDetector{env: env} }, checks.RuleAuditHostAccessPodCreated)
}

// hostAccessPodDetector reports pods created with hostPath volumes or
// sharing the node's network, PID or IPC namespace, and workload
// controllers a person creates or replaces with such a pod template, in
// production namespaces; with no productionNamespaces configured, in every
// namespace but the cluster's own (objSystemNamespaces). Mirror pods are
// skipped.
type hostAccessPodDetector struct{ env *Env }

// objSystemNamespaces hold the cluster's own components, which use host
// access by design; they are exempt unless listed as production.
var objSystemNamespaces = map[string]bool{"kube-system": true, "kube-public": true, "kube-node-lease": true}

// watched reports whether host access in ns is reported.
func (d *hostAccessPodDetector) watched(ns string) bool {
	if len(d.env.Config.ProductionNamespaces) > 0 {
		return d.env.Config.IsProduction(ns)
	}
	return !objSystemNamespaces[ns]
}

func (d *hostAccessPodDetector) observe(ev *Event, r *Reporter) {
	action, where := "created pod", ""
	spec, ephemeral, ok := podWrite(ev)
	if !ok {
		var kind string
		if spec, kind, ok = workloadWrite(ev); !ok {
			return
		}
		action, where = writeVerb(ev)+" "+kind, " in its pod template"
	}
	// Ephemeral containers cannot add volumes or host namespaces.
	if ephemeral || mirrorPod(ev, &spec) || !d.watched(spec.Namespace) {
		return
	}
	var parts []string
	critical := false
	if n := len(spec.HostPaths); n > 0 {
		paths := make([]string, 0, n)
		for _, v := range spec.HostPaths {
			paths = append(paths, v.Path)
			critical = critical || criticalHostPath(v.Path)
		}
		parts = append(parts, objPlural(n, "hostPath volume ", "hostPath volumes ")+strings.Join(paths, ", "))
	}
	parts = append(parts, spec.hostNamespaces()...)
	if len(parts) == 0 {
		return
	}
	sev := finding.SeverityHigh
	if critical {
		sev = finding.SeverityCritical
	}
	obj := ResourceRef(ev)
	r.Report(Hit{
		Rule: checks.RuleAuditHostAccessPodCreated, Object: obj, Severity: Sev(sev),
		Message: ev.Actor() + " " + action + " " + objName(spec.Namespace, obj.Name) + " with host access" + where + ": " +
			strings.Join(parts, "; ") + ".",
		Events:  []finding.Event{ev.Evidence()},
		Related: []finding.Related{{Role: "subject", Object: UserRef(ev.User.Username)}},
	})
}

func (d *hostAccessPodDetector) advance(time.Time, *Reporter) {}
func (d *hostAccessPodDetector) flush(*Reporter)              {}
