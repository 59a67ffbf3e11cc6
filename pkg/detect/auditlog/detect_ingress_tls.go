package auditlog

import (
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

func init() {
	register(func(env *Env) detector { return &ingressTLSDetector{} }, checks.RuleAuditIngressWithoutTLS)
}

// ingressTLSDetector reports Ingresses (networking.k8s.io, or the old
// extensions group) created, updated or patched without spec.tls, or with
// rule hosts no spec.tls entry covers: Falco's "Ingress Object without TLS
// Certificate Created". A tls entry without hosts covers every host (the
// controller's default certificate), and *.example.com covers one label.
type ingressTLSDetector struct{}

func (d *ingressTLSDetector) observe(ev *Event, r *Reporter) {
	if !ev.Final() || !ev.Allowed() || ev.Body == nil || ev.Object.Resource != "ingresses" || ev.Object.Subresource != "" ||
		(ev.Object.APIGroup != "networking.k8s.io" && ev.Object.APIGroup != "extensions") {
		return
	}
	switch ev.Verb {
	case "create", "update", "patch":
	default:
		return
	}
	obj := ResourceRef(ev)
	msg := ev.Actor() + " " + objPastTense(ev.Verb) + " Ingress " + objName(obj.Namespace, obj.Name)
	tls := ev.Body.GetArray("spec", "tls")
	if len(tls) == 0 {
		msg += " without TLS (no spec.tls): its traffic is served in plain HTTP."
	} else {
		hosts := objUncoveredHosts(ev.Body, tls)
		if len(hosts) == 0 {
			return
		}
		msg += " with " + objPlural(len(hosts), "host ", "hosts ") + strings.Join(hosts, ", ") + " not covered by any spec.tls entry."
	}
	r.Report(Hit{
		Rule: checks.RuleAuditIngressWithoutTLS, Object: obj, Message: msg,
		Events:  []finding.Event{ev.Evidence()},
		Related: []finding.Related{{Role: "subject", Object: UserRef(ev.User.Username)}},
	})
}

// objUncoveredHosts lists the rule hosts no tls entry names.
func objUncoveredHosts(body *fastjson.Value, tls []*fastjson.Value) []string {
	var covered []string
	for _, t := range tls {
		hs := t.GetArray("hosts")
		if len(hs) == 0 {
			return nil
		}
		for _, h := range hs {
			covered = append(covered, strings.ToLower(string(h.GetStringBytes())))
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, rule := range body.GetArray("spec", "rules") {
		h := strings.ToLower(string(rule.GetStringBytes("host")))
		if h == "" || seen[h] || objHostCovered(h, covered) {
			continue
		}
		seen[h] = true
		out = append(out, h)
	}
	return out
}

// objHostCovered matches a host against certificate names, a leading "*."
// standing for exactly one label.
func objHostCovered(host string, names []string) bool {
	for _, n := range names {
		if n == host {
			return true
		}
		if suffix, ok := strings.CutPrefix(n, "*"); ok && strings.HasPrefix(suffix, ".") {
			if label, ok := strings.CutSuffix(host, suffix); ok && label != "" && !strings.Contains(label, ".") {
				return true
			}
		}
	}
	return false
}

func (d *ingressTLSDetector) advance(time.Time, *Reporter) {}
func (d *ingressTLSDetector) flush(*Reporter)              {}
