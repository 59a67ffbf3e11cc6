package rbac

import (
	"fmt"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/pkg/finding"
)

// Risk ids: the rule ids of the catalogue's RBAC findings.
const (
	RiskWildcard              finding.RuleID = "rbac-wildcard"
	RiskSecretsRead           finding.RuleID = "rbac-secrets-read"
	RiskWorkloadCreate        finding.RuleID = "rbac-workload-create"
	RiskPodExec               finding.RuleID = "rbac-pod-exec"
	RiskEscalate              finding.RuleID = "rbac-escalate"
	RiskTokenCreate           finding.RuleID = "rbac-token-create"
	RiskNodesProxy            finding.RuleID = "rbac-nodes-proxy"
	RiskCSRApprove            finding.RuleID = "rbac-csr-approve"
	RiskAdmissionControlWrite finding.RuleID = "rbac-admission-control-write"
	RiskRBACWrite             finding.RuleID = "rbac-rbac-write"
	RiskClusterAdminBinding   finding.RuleID = "rbac-cluster-admin-binding"
	RiskAnonymousAccess       finding.RuleID = "rbac-anonymous-access"
	RiskBindingToMissingRole  finding.RuleID = "rbac-binding-to-missing-role"
)

// probe is one capability a risk looks for: any of the verbs on the
// resource (resource or resource/subresource) of the group.
type probe struct {
	verbs    []string
	group    string
	resource string
}

var writeVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}

func probes(verbs []string, group string, resources ...string) []probe {
	out := make([]probe, len(resources))
	for i, r := range resources {
		out[i] = probe{verbs: verbs, group: group, resource: r}
	}
	return out
}

func join(ps ...[]probe) []probe {
	var out []probe
	for _, p := range ps {
		out = append(out, p...)
	}
	return out
}

// riskProbes are the capabilities behind each permission risk.
var riskProbes = map[finding.RuleID][]probe{
	RiskSecretsRead: probes([]string{"get", "list", "watch"}, "", "secrets"),
	RiskWorkloadCreate: join(
		probes([]string{"create"}, "", "pods"),
		probes([]string{"create", "update", "patch"}, "", "replicationcontrollers"),
		probes([]string{"create", "update", "patch"}, "apps", "deployments", "replicasets", "statefulsets", "daemonsets"),
		probes([]string{"create", "update", "patch"}, "batch", "jobs", "cronjobs"),
	),
	RiskPodExec: join(
		probes([]string{"create", "get"}, "", "pods/exec", "pods/attach", "pods/portforward"),
		probes([]string{"update", "patch"}, "", "pods/ephemeralcontainers"),
	),
	RiskEscalate: join(
		probes([]string{"bind", "escalate"}, "rbac.authorization.k8s.io", "roles", "clusterroles"),
		probes([]string{"impersonate"}, "", "users", "groups", "serviceaccounts", "uids"),
		probes([]string{"impersonate"}, "authentication.k8s.io", "userextras/scopes", "uids"),
	),
	RiskTokenCreate: probes([]string{"create"}, "", "serviceaccounts/token"),
	RiskNodesProxy:  probes([]string{"get", "create", "update", "patch", "delete"}, "", "nodes/proxy"),
	RiskCSRApprove:  probes([]string{"update", "patch"}, "certificates.k8s.io", "certificatesigningrequests/approval"),
	RiskAdmissionControlWrite: join(
		probes(writeVerbs, "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "validatingwebhookconfigurations",
			"validatingadmissionpolicies", "validatingadmissionpolicybindings", "mutatingadmissionpolicies", "mutatingadmissionpolicybindings"),
		probes(writeVerbs, "apiextensions.k8s.io", "customresourcedefinitions"),
	),
	RiskRBACWrite: probes(writeVerbs, "rbac.authorization.k8s.io", "roles", "rolebindings", "clusterroles", "clusterrolebindings"),
}

// PermissionRisks lists the risks judged from rules, in a fixed order.
var PermissionRisks = []finding.RuleID{
	RiskWildcard, RiskSecretsRead, RiskWorkloadCreate, RiskPodExec, RiskEscalate, RiskTokenCreate,
	RiskNodesProxy, RiskCSRApprove, RiskAdmissionControlWrite, RiskRBACWrite,
}

// Risk is one risky capability a binding grants.
type Risk struct {
	ID      finding.RuleID
	Binding *Binding
	// Rules are the indexes in Binding.Role.Rules that grant it.
	Rules []int
	// What is a short account of the capability ("get, list secrets").
	What string
	// LimitedToNames is true when every granting rule names resourceNames.
	LimitedToNames bool
}

// ClusterWide reports whether the risk applies in every namespace.
func (r Risk) ClusterWide() bool { return r.Binding.Cluster() }

// BindingRisks returns the risks a binding carries. Built-in bindings of
// the API server (system: names, bootstrapping label) carry none: they are
// the platform's own. A binding to a cluster-admin equivalent role reports
// rbac-cluster-admin-binding instead of the many risks it implies.
func (x *Index) BindingRisks(b *Binding) []Risk {
	if b.BuiltIn {
		return nil
	}
	var out []Risk
	if b.Role == nil {
		if x.providedElsewhere(b) {
			return nil
		}
		return append(out, Risk{ID: RiskBindingToMissingRole, Binding: b,
			What: fmt.Sprintf("roleRef %s %q does not exist", b.RoleRef.Kind, b.RoleRef.Name)})
	}
	if anon := anonymousSubjects(b); len(anon) > 0 && len(b.Role.Rules) > 0 {
		out = append(out, Risk{ID: RiskAnonymousAccess, Binding: b, Rules: allIndexes(b.Role.Rules),
			What: fmt.Sprintf("%s granted to %s", b.RoleRef.Name, strings.Join(anon, " and "))})
	}
	if admin := adminRules(b); len(admin) > 0 {
		what := "every verb on every resource"
		if b.RoleRef.Kind == "ClusterRole" && b.RoleRef.Name == "cluster-admin" {
			what = "ClusterRole cluster-admin"
		}
		if !b.Cluster() {
			what += " in namespace " + b.Ref.Namespace
		}
		return append(out, Risk{ID: RiskClusterAdminBinding, Binding: b, Rules: admin, What: what})
	}
	for _, id := range PermissionRisks {
		if r, ok := ruleRisk(id, b); ok && inScope(b, r) {
			out = append(out, r)
		}
	}
	return out
}

func ruleRisk(id finding.RuleID, b *Binding) (Risk, bool) {
	risk := Risk{ID: id, Binding: b, LimitedToNames: true}
	var what []string
	for i := range b.Role.Rules {
		rule := &b.Role.Rules[i]
		var granted []string
		limited := true
		if id == RiskWildcard {
			if w := wildcards(rule); w != "" {
				granted = append(granted, w)
				limited = len(rule.ResourceNames) > 0
			}
		} else {
			for _, p := range riskProbes[id] {
				if verbs, names := probeGrants(rule, p); len(verbs) > 0 {
					granted = append(granted, strings.Join(verbs, ", ")+" "+p.resource)
					limited = limited && names
				}
			}
			if id == RiskEscalate && impersonatesExtras(rule) {
				granted = append(granted, "impersonate userextras")
				limited = limited && len(rule.ResourceNames) > 0
			}
		}
		if len(granted) == 0 {
			continue
		}
		risk.Rules = append(risk.Rules, i)
		risk.LimitedToNames = risk.LimitedToNames && limited
		what = append(what, granted...)
	}
	if len(risk.Rules) == 0 {
		return Risk{}, false
	}
	risk.What = strings.Join(dedupe(what), "; ")
	return risk, true
}

// probeGrants returns the probe's verbs a rule grants, and whether the rule
// limits them to resourceNames.
func probeGrants(rule *rbacv1.PolicyRule, p probe) ([]string, bool) {
	if !apiGroupMatches(rule, p.group) {
		return nil, false
	}
	res, sub, _ := strings.Cut(p.resource, "/")
	combined := res
	if sub != "" {
		combined += "/" + sub
	}
	if !resourceMatches(rule, combined, sub) {
		return nil, false
	}
	var verbs []string
	for _, v := range p.verbs {
		if verbMatches(rule, v) {
			verbs = append(verbs, v)
		}
	}
	return verbs, len(rule.ResourceNames) > 0
}

// impersonatesExtras: impersonating user extras is checked per key
// (userextras/KEY); any rule naming userextras/... with impersonate counts.
func impersonatesExtras(rule *rbacv1.PolicyRule) bool {
	if !verbMatches(rule, "impersonate") || !apiGroupMatches(rule, "authentication.k8s.io") {
		return false
	}
	for _, r := range rule.Resources {
		if strings.HasPrefix(r, "userextras/") {
			return true
		}
	}
	return false
}

func wildcards(rule *rbacv1.PolicyRule) string {
	var parts []string
	for _, f := range []struct {
		name string
		list []string
	}{{"verbs", rule.Verbs}, {"apiGroups", rule.APIGroups}, {"resources", rule.Resources}, {"nonResourceURLs", rule.NonResourceURLs}} {
		for _, s := range f.list {
			if s == "*" {
				parts = append(parts, "* in "+f.name)
				break
			}
		}
	}
	return strings.Join(parts, ", ")
}

// adminRules returns the rules making a role cluster-admin equivalent:
// every verb on every resource of every group, without resourceNames. The
// ClusterRole named cluster-admin always counts.
func adminRules(b *Binding) []int {
	var out []int
	for i := range b.Role.Rules {
		r := &b.Role.Rules[i]
		if contains(r.Verbs, "*") && contains(r.APIGroups, "*") && contains(r.Resources, "*") && len(r.ResourceNames) == 0 {
			out = append(out, i)
		}
	}
	if len(out) == 0 && b.RoleRef.Kind == "ClusterRole" && b.RoleRef.Name == "cluster-admin" {
		out = allIndexes(b.Role.Rules)
	}
	return out
}

// anonymousSubjects names the subjects of a binding that unauthenticated
// requests carry.
func anonymousSubjects(b *Binding) []string {
	var out []string
	for _, s := range b.Subjects {
		if (s.Kind == rbacv1.UserKind && s.Name == UserAnonymous) || (s.Kind == rbacv1.GroupKind && s.Name == GroupUnauthenticated) {
			out = append(out, s.Kind+" "+s.Name)
		}
	}
	return out
}

// IsClusterAdmin reports whether the user holds every verb on every
// resource cluster-wide (system:masters, or a cluster-admin equivalent
// ClusterRoleBinding), and through which grants.
func (x *Index) IsClusterAdmin(u User) (bool, []Grant) {
	if IsPrivileged(u) {
		return true, nil
	}
	var via []Grant
	for _, p := range x.Permissions(u) {
		if p.Namespace != "" {
			continue
		}
		r := p.Grant.PolicyRule()
		if contains(r.Verbs, "*") && contains(r.APIGroups, "*") && contains(r.Resources, "*") && len(r.ResourceNames) == 0 {
			via = append(via, p.Grant)
		}
	}
	return len(via) > 0, via
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func allIndexes(rules []rbacv1.PolicyRule) []int {
	out := make([]int, len(rules))
	for i := range out {
		out[i] = i
	}
	return out
}

// RuleString renders a rule compactly: "get, list secrets.", with names and
// URLs when present.
func RuleString(r rbacv1.PolicyRule) string {
	var b strings.Builder
	b.WriteString(strings.Join(r.Verbs, ","))
	if len(r.NonResourceURLs) > 0 {
		b.WriteString(" " + strings.Join(r.NonResourceURLs, ","))
		return b.String()
	}
	res := make([]string, 0, len(r.Resources))
	groups := r.APIGroups
	for _, rs := range r.Resources {
		for _, g := range groups {
			if g == "" {
				res = append(res, rs)
			} else {
				res = append(res, rs+"."+g)
			}
		}
		if len(groups) == 0 {
			res = append(res, rs+".(no group)")
		}
	}
	sort.Strings(res)
	b.WriteString(" " + strings.Join(res, ","))
	if len(r.ResourceNames) > 0 {
		b.WriteString(" [" + strings.Join(r.ResourceNames, ",") + "]")
	}
	return b.String()
}

// Subjects of a binding as text ("ServiceAccount shop/ci, Group devs").
func SubjectString(b *Binding, s rbacv1.Subject) string {
	if s.Kind == rbacv1.ServiceAccountKind {
		return "ServiceAccount " + b.SubjectNamespace(s) + "/" + s.Name
	}
	return s.Kind + " " + s.Name
}
