package checks

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// The RBAC risk rules share their kinds, their run and their reporting: each
// reports the risks of its id that the effective-permission index finds on a
// binding, one finding per binding, with the chain subject -> binding -> role
// -> rule that grants it.

// rbacBindingKinds are the objects RBAC risk rules report on.
var rbacBindingKinds = []schema.GroupKind{inventory.KindRoleBinding, inventory.KindClusterRoleBinding}

// rbacDocCommon ends the doc of every RBAC risk rule.
const rbacDocCommon = " Roles are read with aggregation resolved (a risk reached through an aggregated ClusterRole " +
	"is found), rules are matched as the API server's RBAC authorizer matches them (a subresource is not implied " +
	"by its parent, a resource of another API group is another resource), and a RoleBinding to a ClusterRole " +
	"grants in its namespace only. The API server's own bindings (system: names, the kubernetes.io/bootstrapping " +
	"label) are not reported, nor are bindings without a subject, and a binding to a cluster-admin equivalent " +
	"role is reported once as rbac-cluster-admin-binding rather than as every risk it implies. Severity is " +
	"raised one level for a ClusterRoleBinding and one more when a workload of the inventory runs as a subject; " +
	"it is lowered one level when every granting rule is limited to resourceNames."

// maxRelatedWorkloads bounds the workloads listed as holding a risk.
const maxRelatedWorkloads = 5

// maxListed bounds the subjects and rules spelled out in a message.
const maxListed = 3

// runRBACRisk is the Run of the RBAC risk rule id.
func runRBACRisk(id finding.RuleID) func(p *Pass, o *inventory.Object) {
	return func(p *Pass, o *inventory.Object) {
		idx := rbac.For(p.Inv)
		b := idx.BindingOf(o)
		if b == nil || !hasSubject(b) {
			return
		}
		for _, r := range bindingRisks(p.Inv, idx, b) {
			if r.ID == id {
				p.Report(rbacRiskLocation(p, r))
			}
		}
	}
}

type bindingRisksKey struct{}

// bindingRisks are the risks of a binding, judged once per inventory for
// every binding and shared by the thirteen rules that read them.
func bindingRisks(inv *inventory.Inventory, idx *rbac.Index, b *rbac.Binding) []rbac.Risk {
	all := inv.Memo(bindingRisksKey{}, func() any {
		m := map[*rbac.Binding][]rbac.Risk{}
		for _, b := range idx.Bindings {
			if rs := idx.BindingRisks(b); len(rs) > 0 {
				m[b] = rs
			}
		}
		return m
	}).(map[*rbac.Binding][]rbac.Risk)
	return all[b]
}

// hasSubject reports whether any subject of the binding can match a request
// (a binding without one grants nothing to anybody).
func hasSubject(b *rbac.Binding) bool {
	for _, s := range b.Subjects {
		if subjectMatchable(b, s) {
			return true
		}
	}
	return false
}

func subjectMatchable(b *rbac.Binding, s rbacv1.Subject) bool {
	switch s.Kind {
	case rbacv1.UserKind, rbacv1.GroupKind:
		return s.Name != ""
	case rbacv1.ServiceAccountKind:
		return s.Name != "" && b.SubjectNamespace(s) != ""
	}
	return false
}

// rbacRiskLocation is the finding of one risk: where, what, how severe, and
// the objects of its chain.
func rbacRiskLocation(p *Pass, r rbac.Risk) Location {
	b := r.Binding
	subjects := riskSubjects(r)
	workloads, heldBy := workloadsHolding(p.Inv, b, subjects)
	sev := rbacSeverity(p.check.Severity, r.ClusterWide(), len(workloads) > 0, r.LimitedToNames)
	loc := Location{Path: "roleRef", Severity: &sev}
	if r.ID == rbac.RiskAnonymousAccess {
		loc.Path = "subjects"
	}
	loc.Message = riskMessage(r, subjects)
	if len(workloads) > 0 {
		verb := " runs as "
		if len(workloads) > 1 {
			verb = " run as "
		}
		loc.Message += "; " + listObjects(workloads) + verb + heldBy
	}
	loc.Related = riskRelated(b, subjects, r.Rules, workloads)
	return loc
}

// riskSubjects are the subjects a risk is about: the anonymous ones for
// rbac-anonymous-access, every matchable one otherwise.
func riskSubjects(r rbac.Risk) []rbacv1.Subject {
	var out []rbacv1.Subject
	for _, s := range r.Binding.Subjects {
		if !subjectMatchable(r.Binding, s) {
			continue
		}
		if r.ID == rbac.RiskAnonymousAccess && !isAnonymous(s) {
			continue
		}
		out = append(out, s)
	}
	return out
}

func isAnonymous(s rbacv1.Subject) bool {
	return (s.Kind == rbacv1.UserKind && s.Name == rbac.UserAnonymous) ||
		(s.Kind == rbacv1.GroupKind && s.Name == rbac.GroupUnauthenticated)
}

// riskMessage reads subjects -> binding -> role -> rules, and what is
// granted.
func riskMessage(r rbac.Risk, subjects []rbacv1.Subject) string {
	b := r.Binding
	who := subjectList(b, subjects)
	chain := bindingName(b) + " -> " + roleRefName(b)
	if r.ID == rbac.RiskBindingToMissingRole {
		if b.Cluster() && b.RoleRef.Kind == "Role" {
			return fmt.Sprintf("%s: a ClusterRoleBinding can only refer to a ClusterRole; %s gets nothing from it and the API server rejects it", chain, who)
		}
		return fmt.Sprintf("%s: %s, so %s gets nothing from it yet; whoever later creates that role grants its rules to %s at once",
			chain, r.What, who, who)
	}
	var can string
	switch r.ID {
	case rbac.RiskWildcard:
		can = "use wildcards (" + r.What + ")"
	case rbac.RiskClusterAdminBinding:
		can = "use " + strings.TrimSuffix(r.What, " in namespace "+b.Namespace())
	case rbac.RiskAnonymousAccess:
		who += " (any request without credentials)"
		can = "use " + roleRefName(b)
	default:
		can = r.What
	}
	msg := fmt.Sprintf("%s can %s %s via %s", who, can, scopeOf(b), chain)
	if rules := ruleList(b, r.Rules); rules != "" {
		msg += " (" + rules + ")"
	}
	return msg
}

func scopeOf(b *rbac.Binding) string {
	if b.Cluster() {
		return "cluster-wide"
	}
	return "in namespace " + b.Namespace()
}

// bindingName is "RoleBinding shop/ci" or "ClusterRoleBinding ci".
func bindingName(b *rbac.Binding) string {
	if b.Cluster() {
		return b.Ref.Kind + " " + b.Ref.Name
	}
	return b.Ref.Kind + " " + b.Ref.Namespace + "/" + b.Ref.Name
}

// roleRefName is "Role secret-reader" or "ClusterRole view": a Role is in
// the binding's namespace.
func roleRefName(b *rbac.Binding) string {
	kind := b.RoleRef.Kind
	if kind == "" {
		kind = "role"
	}
	return kind + " " + b.RoleRef.Name
}

func subjectList(b *rbac.Binding, subjects []rbacv1.Subject) string {
	names := make([]string, 0, len(subjects))
	for _, s := range subjects {
		names = append(names, rbac.SubjectString(b, s))
	}
	return listCapped(names, "subjects")
}

// ruleList is "rule 1: get,list secrets; rule 3: ..." (numbered from 1),
// naming the ClusterRole an aggregated rule came from.
func ruleList(b *rbac.Binding, rules []int) string {
	if b.Role == nil {
		return ""
	}
	parts := make([]string, 0, len(rules))
	for _, i := range rules {
		parts = append(parts, fmt.Sprintf("rule %d: %s", i+1, ruleDetail(b.Role, i)))
	}
	if len(parts) > maxListed {
		return strings.Join(parts[:maxListed], "; ") + fmt.Sprintf("; and %d more rules", len(parts)-maxListed)
	}
	return strings.Join(parts, "; ")
}

// ruleDetail is the rule's text, and its source ClusterRole when it was
// aggregated.
func ruleDetail(r *rbac.Role, i int) string {
	s := rbac.RuleString(r.Rules[i])
	if i < len(r.RuleSources) && r.RuleSources[i] != "" {
		s += " (from ClusterRole/" + r.RuleSources[i] + ")"
	}
	return s
}

// listCapped is "a", "a and b", "a, b and c", or "a, b, c and 4 more what".
func listCapped(names []string, what string) string {
	switch {
	case len(names) > maxListed:
		return strings.Join(names[:maxListed], ", ") + fmt.Sprintf(" and %d more %s", len(names)-maxListed, what)
	case len(names) > 1:
		return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
	return strings.Join(names, "")
}

// rbacSeverity is the base severity raised one level for a cluster-wide
// binding and one for a subject a workload runs as, lowered one level when
// the grant is limited to named objects.
func rbacSeverity(base finding.Severity, clusterWide, heldByWorkload, limitedToNames bool) finding.Severity {
	s := base
	if clusterWide {
		s++
	}
	if heldByWorkload {
		s++
	}
	if limitedToNames {
		s--
	}
	return max(finding.SeverityInfo, min(finding.SeverityCritical, s))
}

// riskRelated lists the chain: subjects, the role, each granting rule, and
// the workloads that hold the grant.
func riskRelated(b *rbac.Binding, subjects []rbacv1.Subject, rules []int, workloads []*inventory.Object) []finding.Related {
	out := make([]finding.Related, 0, len(subjects)+1+len(rules)+len(workloads))
	for _, s := range subjects {
		ref := finding.ObjectRef{Kind: s.Kind, Name: s.Name}
		if s.Kind == rbacv1.ServiceAccountKind {
			ref.APIVersion, ref.Namespace = "v1", b.SubjectNamespace(s)
		} else {
			ref.APIVersion = rbacv1.SchemeGroupVersion.String()
		}
		out = append(out, finding.Related{Role: "subject", Object: ref})
	}
	if b.Role != nil {
		out = append(out, finding.Related{Role: "role", Object: b.Role.Ref})
		for _, i := range rules {
			out = append(out, finding.Related{Role: "rule", Object: b.Role.Ref, Detail: fmt.Sprintf("rule %d: %s", i+1, ruleDetail(b.Role, i))})
		}
	} else {
		ref := finding.ObjectRef{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: b.RoleRef.Kind, Name: b.RoleRef.Name}
		if b.RoleRef.Kind == "Role" {
			ref.Namespace = b.Namespace()
		}
		out = append(out, finding.Related{Role: "role", Object: ref, Detail: "not in the inventory"})
	}
	for _, w := range workloads {
		out = append(out, finding.Related{Role: "workload", Object: w.Ref})
	}
	return out
}

// listObjects is "Deployment shop/web, Pod shop/x and 3 more workloads".
func listObjects(objs []*inventory.Object) string {
	names := make([]string, 0, len(objs))
	for _, o := range objs {
		names = append(names, objectName(o.Ref))
	}
	return listCapped(names, "workloads")
}

// objectName is "Deployment shop/web" (kind, then namespace/name).
func objectName(r finding.ObjectRef) string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}

// newRBACRisk declares the rule of one RBAC risk id with its metadata.
func newRBACRisk(id finding.RuleID, sev finding.Severity, summary, doc, remediation string, refs ...string) *Check {
	return &Check{
		ID:          id,
		Category:    finding.CategoryIdentity,
		Severity:    sev,
		Summary:     summary,
		Doc:         doc + rbacDocCommon,
		Remediation: remediation,
		References:  refs,
		Engine:      EngineGo,
		Kinds:       rbacBindingKinds,
		Run:         runRBACRisk(id),
	}
}
