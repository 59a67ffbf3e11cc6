package auditlog

import (
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

func init() {
	register(func(env *Env) detector { return &clusterAdminDetector{wildcard: map[string]bool{}} }, checks.RuleAuditClusterAdminGranted)
}

// clusterAdminDetector reports bindings (ClusterRoleBindings and
// RoleBindings) created, updated or patched with roleRef ClusterRole
// cluster-admin, or a ClusterRole this stream showed to grant every verb on
// every resource of every API group; and such ClusterRoles themselves.
// Bodies the API server writes at start-up (system:apiserver) are skipped.
type clusterAdminDetector struct {
	// wildcard holds the ClusterRoles seen granting */*/*, so that a later
	// binding to one is a grant of cluster-admin too. Bounded by the
	// number of ClusterRoles of the cluster.
	wildcard map[string]bool
}

// maxWildcardRoles bounds clusterAdminDetector.wildcard against hostile
// input.
const maxWildcardRoles = 10000

const objRBACGroup = "rbac.authorization.k8s.io"

func (d *clusterAdminDetector) observe(ev *Event, r *Reporter) {
	if !ev.Final() || !ev.Allowed() || ev.Body == nil || ev.Object.Subresource != "" || ev.User.Username == "system:apiserver" {
		return
	}
	switch ev.Verb {
	case "create", "update", "patch":
	default:
		return
	}
	switch ev.Object.Resource {
	case "clusterroles":
		d.observeRole(ev, r)
	case "clusterrolebindings", "rolebindings":
		d.observeBinding(ev, r)
	}
}

func (d *clusterAdminDetector) observeRole(ev *Event, r *Reporter) {
	name := ResourceRef(ev).Name
	if !objGrantsEverything(ev.Body) {
		// An update that narrowed the role ends its equivalence.
		delete(d.wildcard, name)
		return
	}
	if name != "cluster-admin" && len(d.wildcard) < maxWildcardRoles {
		d.wildcard[name] = true
	}
	obj := ResourceRef(ev)
	r.Report(Hit{
		Rule: checks.RuleAuditClusterAdminGranted, Object: obj,
		Message: ev.Actor() + " " + objPastTense(ev.Verb) + " ClusterRole " + obj.Name +
			" granting every verb on every resource of every API group, the equivalent of cluster-admin.",
		Events:  []finding.Event{ev.Evidence()},
		Related: []finding.Related{{Role: "subject", Object: UserRef(ev.User.Username)}},
	})
}

func (d *clusterAdminDetector) observeBinding(ev *Event, r *Reporter) {
	kind := string(ev.Body.GetStringBytes("roleRef", "kind"))
	role := string(ev.Body.GetStringBytes("roleRef", "name"))
	if kind != "ClusterRole" || (role != "cluster-admin" && !d.wildcard[role]) {
		return
	}
	obj := ResourceRef(ev)
	subjects, related := objBindingSubjects(ev.Body, obj.Namespace)
	related = append(related, finding.Related{Role: "role", Object: finding.ObjectRef{APIVersion: objRBACGroup + "/v1", Kind: "ClusterRole", Name: role}})
	what := "ClusterRole cluster-admin"
	if role != "cluster-admin" {
		what = "ClusterRole " + role + " (every verb on every resource, like cluster-admin)"
	}
	scope := "cluster-wide"
	if obj.Namespace != "" {
		scope = "in namespace " + obj.Namespace
	}
	who := "no subjects"
	if len(subjects) > 0 {
		who = strings.Join(subjects, ", ")
	}
	r.Report(Hit{
		Rule: checks.RuleAuditClusterAdminGranted, Object: obj,
		Message: ev.Actor() + " " + objPastTense(ev.Verb) + " " + obj.Kind + " " + obj.Name + " granting " + what + " " +
			scope + " to " + who + ".",
		Events:  []finding.Event{ev.Evidence()},
		Related: related,
	})
}

// objGrantsEverything reports whether a ClusterRole has a rule with verbs,
// resources and apiGroups all "*".
func objGrantsEverything(body *fastjson.Value) bool {
	for _, rule := range body.GetArray("rules") {
		if objHasStar(rule.GetArray("verbs")) && objHasStar(rule.GetArray("resources")) && objHasStar(rule.GetArray("apiGroups")) {
			return true
		}
	}
	return false
}

func objHasStar(vs []*fastjson.Value) bool {
	for _, v := range vs {
		if string(v.GetStringBytes()) == "*" {
			return true
		}
	}
	return false
}

// objBindingSubjects renders a binding's subjects ("User alice", "Group
// ops", "ServiceAccount ci/deployer") and relates each.
func objBindingSubjects(body *fastjson.Value, bindingNS string) ([]string, []finding.Related) {
	var names []string
	var related []finding.Related
	for _, s := range body.GetArray("subjects") {
		kind := string(s.GetStringBytes("kind"))
		name := string(s.GetStringBytes("name"))
		ns := string(s.GetStringBytes("namespace"))
		var ref finding.ObjectRef
		switch kind {
		case "ServiceAccount":
			if ns == "" {
				ns = bindingNS
			}
			ref = finding.ObjectRef{APIVersion: "v1", Kind: "ServiceAccount", Namespace: ns, Name: name}
			names = append(names, kind+" "+objName(ns, name))
		default:
			ref = finding.ObjectRef{APIVersion: objRBACGroup + "/v1", Kind: kind, Name: name}
			names = append(names, kind+" "+name)
		}
		related = append(related, finding.Related{Role: "subject", Object: ref})
	}
	return names, related
}

// objPastTense renders a mutating verb for a message.
func objPastTense(verb string) string {
	switch verb {
	case "create":
		return "created"
	case "update":
		return "updated"
	case "patch":
		return "patched"
	case "delete":
		return "deleted"
	case "deletecollection":
		return "deleted a collection of"
	}
	return verb
}

func (d *clusterAdminDetector) advance(time.Time, *Reporter) {}
func (d *clusterAdminDetector) flush(*Reporter)              {}
