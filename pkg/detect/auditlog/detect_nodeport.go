package auditlog

import (
	"strconv"
	"strings"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

func init() {
	register(func(env *Env) detector { return &nodePortDetector{} }, checks.RuleAuditNodePortService)
}

// nodePortDetector reports Services created, updated or patched with
// spec.type NodePort, which opens their ports on every node: Falco's
// "Create NodePort Service".
type nodePortDetector struct{}

func (d *nodePortDetector) observe(ev *Event, r *Reporter) {
	if !ev.Final() || !ev.Allowed() || ev.Body == nil || ev.Object.Resource != "services" || ev.Object.Subresource != "" {
		return
	}
	switch ev.Verb {
	case "create", "update", "patch":
	default:
		return
	}
	if string(ev.Body.GetStringBytes("spec", "type")) != "NodePort" {
		return
	}
	var ports []string
	for _, p := range ev.Body.GetArray("spec", "ports") {
		proto := string(p.GetStringBytes("protocol"))
		if proto == "" {
			proto = "TCP"
		}
		s := "port " + strconv.Itoa(p.GetInt("port")) + "/" + proto
		if np := p.GetInt("nodePort"); np != 0 {
			s += " on node port " + strconv.Itoa(np)
		} else {
			s += " on a node port the server allocates"
		}
		ports = append(ports, s)
	}
	obj := ResourceRef(ev)
	msg := ev.Actor() + " " + objPastTense(ev.Verb) + " NodePort Service " + objName(obj.Namespace, obj.Name)
	if len(ports) > 0 {
		msg += " exposing " + strings.Join(ports, ", ") + " on every node."
	} else {
		msg += ", which exposes its ports on every node."
	}
	r.Report(Hit{
		Rule: checks.RuleAuditNodePortService, Object: obj, Message: msg,
		Events:  []finding.Event{ev.Evidence()},
		Related: []finding.Related{{Role: "subject", Object: UserRef(ev.User.Username)}},
	})
}

func (d *nodePortDetector) advance(time.Time, *Reporter) {}
func (d *nodePortDetector) flush(*Reporter)              {}
