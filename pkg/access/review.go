package access

import (
	"fmt"
	"sort"
	"strings"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/scan"
)

// AccessReview is the outcome of `kharden access review`: who holds
// cluster-admin rights, the break-glass findings, and the groups by the
// style of rights they hold.
type AccessReview struct {
	ClusterAdmins []AdminHolder `json:"clusterAdmins"`
	// Findings carry configured severities, fingerprints and .kharden.yaml
	// exceptions; suppressed ones are included, marked.
	Findings []finding.Finding `json:"findings"`
	Groups   []GroupCoverage   `json:"groups"`
	// BreakGlassGroups are the groups .kharden.yaml names.
	BreakGlassGroups []string `json:"breakGlassGroups"`
	Warnings         []string `json:"warnings"`
	// Rules are the enabled review rules, with configured severities.
	Rules []*checks.Check `json:"-"`
}

// AdminHolder is a subject holding every verb on every resource
// cluster-wide, and the grants that give it.
type AdminHolder struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	// Privileged marks system:masters, whose members the API server allows
	// everything before RBAC is asked; membership (a client certificate
	// organisation, an authenticator's group) is not visible in RBAC objects.
	Privileged bool `json:"privileged,omitempty"`
	// BreakGlass marks a group named in breakGlassGroups.
	BreakGlass bool  `json:"breakGlass,omitempty"`
	Via        []Via `json:"via"`
	// grants are the grants behind Via, for the findings.
	grants []rbac.Grant
}

// mastersHolderNote is what the review says of system:masters.
const mastersHolderNote = "members hold every right before RBAC is asked; membership is not visible in RBAC objects"

// ReviewAccess reviews the RBAC objects of an inventory under a
// configuration (nil: the defaults); now decides which exceptions have
// expired.
func ReviewAccess(inv *inventory.Inventory, cfg *config.Config, now time.Time) *AccessReview {
	if cfg == nil {
		cfg = config.Default()
	}
	x := rbac.For(inv)
	r := &AccessReview{Findings: []finding.Finding{}, BreakGlassGroups: rbList(cfg.BreakGlassGroups), Warnings: []string{}}
	enabled := map[finding.RuleID]*checks.Check{}
	for _, c := range checks.AccessRules() {
		if cfg.RuleEnabled(c.ID, !c.Disabled) {
			cc := *c
			cc.Severity = cfg.SeverityFor(c.ID, c.Severity)
			r.Rules = append(r.Rules, &cc)
			enabled[c.ID] = c
		}
	}
	subjects := rbBindingSubjects(x)
	r.ClusterAdmins = rbClusterAdmins(x, subjects)
	for i := range r.ClusterAdmins {
		h := &r.ClusterAdmins[i]
		h.BreakGlass = h.Kind == rbacv1.GroupKind && rbContains(cfg.BreakGlassGroups, h.Name)
	}
	if c := enabled[checks.RuleAccessClusterAdminOutsideBreakGlass]; c != nil && len(cfg.BreakGlassGroups) > 0 {
		r.Findings = rbBreakGlassFindings(c, r.ClusterAdmins)
	}
	r.Warnings = append(r.Warnings, rbBreakGlassWarnings(cfg.BreakGlassGroups, subjects, r.ClusterAdmins)...)
	r.Groups = rbGroupCoverage(x, subjects)
	r.Warnings = append(r.Warnings, rbIndexWarnings(x)...)
	scan.Finish(r.Findings, cfg, now)
	return r
}

// Exceeds reports whether an unsuppressed finding is at or above sev.
func (r *AccessReview) Exceeds(sev finding.Severity) bool {
	for _, f := range r.Findings {
		if f.Suppressed == nil && f.Severity >= sev {
			return true
		}
	}
	return false
}

// rbSubject is a binding subject with the identity the authorizer sees.
type rbSubject struct {
	s rbacv1.Subject // Namespace filled for ServiceAccounts
}

func (s rbSubject) user() rbac.User {
	switch s.s.Kind {
	case rbacv1.GroupKind:
		return rbac.User{Name: rbNobody, Groups: []string{s.s.Name}}
	case rbacv1.ServiceAccountKind:
		return rbac.User{Name: rbac.ServiceAccountUser(s.s.Namespace, s.s.Name)}
	}
	return rbac.User{Name: s.s.Name}
}

// own keeps the grants made to the subject itself: a Group is asked with a
// user name no binding holds, a ServiceAccount without its groups (those
// are subjects of their own).
func (s rbSubject) own(gs []rbac.Grant) []rbac.Grant {
	var out []rbac.Grant
	for _, g := range gs {
		if g.Subject.Kind == s.s.Kind {
			out = append(out, g)
		}
	}
	return out
}

// rbBindingSubjects lists every subject any binding names that a request
// can match, once, in the order Users, Groups, ServiceAccounts.
func rbBindingSubjects(x *rbac.Index) []rbSubject {
	seen := map[rbacv1.Subject]bool{}
	var out []rbSubject
	for _, b := range x.Bindings {
		for _, s := range b.Subjects {
			k := rbacv1.Subject{Kind: s.Kind, Name: s.Name}
			switch s.Kind {
			case rbacv1.UserKind, rbacv1.GroupKind:
			case rbacv1.ServiceAccountKind:
				if k.Namespace = b.SubjectNamespace(s); k.Namespace == "" {
					continue
				}
			default:
				continue
			}
			if s.Name == "" || seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, rbSubject{k})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].s, out[j].s
		if a.Kind != b.Kind {
			return rbKindOrder(a.Kind) < rbKindOrder(b.Kind)
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	return out
}

// rbClusterAdmins: system:masters first, then every subject holding a
// cluster-admin equivalent ClusterRoleBinding.
func rbClusterAdmins(x *rbac.Index, subjects []rbSubject) []AdminHolder {
	masters := AdminHolder{Kind: rbacv1.GroupKind, Name: rbac.GroupMasters, Privileged: true, Via: []Via{}}
	out := []AdminHolder{masters}
	for _, s := range subjects {
		via := s.own(rbAdminGrants(x, s.user()))
		if len(via) == 0 {
			continue
		}
		if s.s.Kind == rbacv1.GroupKind && s.s.Name == rbac.GroupMasters {
			for _, g := range via {
				out[0].Via = append(out[0].Via, rbVia(g))
			}
			continue
		}
		h := AdminHolder{Kind: s.s.Kind, Name: s.s.Name, Namespace: s.s.Namespace, Via: []Via{}, grants: via}
		for _, g := range via {
			h.Via = append(h.Via, rbVia(g))
		}
		out = append(out, h)
	}
	return out
}

// rbAdminGrants are the grants that make the user cluster-admin
// equivalent: rules of ClusterRoleBindings with every verb on every
// resource of every group, without resourceNames. Unlike
// rbac.Index.IsClusterAdmin it lists them for system:masters too.
func rbAdminGrants(x *rbac.Index, u rbac.User) []rbac.Grant {
	var out []rbac.Grant
	for _, p := range x.Permissions(u) {
		if !p.Grant.Binding.Cluster() {
			continue
		}
		r := p.Grant.PolicyRule()
		if rbContains(r.Verbs, rbacv1.VerbAll) && rbContains(r.APIGroups, rbacv1.APIGroupAll) &&
			rbContains(r.Resources, rbacv1.ResourceAll) && len(r.ResourceNames) == 0 {
			out = append(out, p.Grant)
		}
	}
	return out
}

// rbHuman: a person or a team, not a ServiceAccount nor one of the
// platform's own identities.
func rbHuman(h AdminHolder) bool {
	return !h.Privileged && (h.Kind == rbacv1.UserKind || h.Kind == rbacv1.GroupKind) && !strings.HasPrefix(h.Name, "system:")
}

// rbBreakGlassFindings reports, once per binding, the people and teams
// holding cluster-admin rights through it outside the break-glass groups.
func rbBreakGlassFindings(c *checks.Check, holders []AdminHolder) []finding.Finding {
	type entry struct {
		b       *rbac.Binding
		role    *rbac.Role
		holders []AdminHolder
	}
	var order []*rbac.Binding
	byBinding := map[*rbac.Binding]*entry{}
	for _, h := range holders {
		if !rbHuman(h) || h.BreakGlass {
			continue
		}
		seen := map[*rbac.Binding]bool{}
		for _, g := range h.grants {
			if seen[g.Binding] {
				continue
			}
			seen[g.Binding] = true
			e := byBinding[g.Binding]
			if e == nil {
				e = &entry{b: g.Binding, role: g.Role}
				byBinding[g.Binding] = e
				order = append(order, g.Binding)
			}
			e.holders = append(e.holders, h)
		}
	}
	var out []finding.Finding
	for _, b := range order {
		e := byBinding[b]
		var names []string
		related := []finding.Related{{Role: "role", Object: e.role.Ref}}
		for _, h := range e.holders {
			names = append(names, h.Kind+" "+h.Name)
			related = append(related, finding.Related{Role: "subject",
				Object: finding.ObjectRef{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: h.Kind, Name: h.Name}})
		}
		f := finding.Finding{
			Rule: c.ID, Category: c.Category, Severity: c.Severity,
			Object: b.Ref, Path: "subjects",
			Message: fmt.Sprintf("%s gives %s cluster-admin rights (%s %s: every verb on every resource) outside the break-glass groups",
				b.Ref, strings.Join(names, ", "), e.role.Ref.Kind, e.role.Ref.Name),
			Remediation: c.Remediation, References: c.References, Related: related,
		}
		if b.Object != nil && b.Object.Source.File != "" {
			src := b.Object.Source
			f.Source = &src
		}
		out = append(out, f)
	}
	return out
}

// rbBreakGlassWarnings: a break-glass group no binding names holds nothing
// here (a typo, or a group the identity provider spells otherwise); one
// that is bound but not cluster-admin cannot break glass.
func rbBreakGlassWarnings(groups []string, subjects []rbSubject, holders []AdminHolder) []string {
	var out []string
	for _, g := range groups {
		bound, admin := false, false
		for _, s := range subjects {
			bound = bound || (s.s.Kind == rbacv1.GroupKind && s.s.Name == g)
		}
		for _, h := range holders {
			admin = admin || (h.Kind == rbacv1.GroupKind && h.Name == g)
		}
		switch {
		case !bound:
			out = append(out, fmt.Sprintf("break-glass group %q is not named by any binding: it holds no rights here", g))
		case !admin:
			out = append(out, fmt.Sprintf("break-glass group %q is bound but does not hold cluster-admin rights", g))
		}
	}
	return out
}

func rbContains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
