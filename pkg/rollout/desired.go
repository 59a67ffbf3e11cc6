package rollout

import (
	"sort"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/psa"
)

// Namespace is what the rollout needs to know of a namespace.
type Namespace struct {
	Name   string
	Labels map[string]string
}

// Placement says which namespaces each stage's deny reaches.
type Placement struct {
	Canary, Production, Excluded map[string]bool
}

// Place sorts namespaces into canary, production and excluded, by the
// configuration (names by pattern, or label selector).
func Place(cfg *config.Config, nss []Namespace) Placement {
	p := Placement{Canary: map[string]bool{}, Production: map[string]bool{}, Excluded: map[string]bool{}}
	excl := config.NamespaceSet{Namespaces: cfg.Rollout.ExcludedNamespaces()}
	prod := cfg.ProductionSet()
	for _, ns := range nss {
		switch {
		case excl.Matches(ns.Name, nil):
			p.Excluded[ns.Name] = true
		case cfg.Rollout.Canary.Matches(ns.Name, ns.Labels):
			p.Canary[ns.Name] = true
		case prod.Matches(ns.Name, ns.Labels):
			p.Production[ns.Name] = true
		}
	}
	return p
}

// Denied reports whether a stage denies in a namespace.
func (p Placement) Denied(s Stage, ns string) bool {
	if ns != "" && p.Excluded[ns] {
		return false
	}
	switch s {
	case StageCanary:
		return p.Canary[ns]
	case StageProduction:
		return p.Canary[ns] || p.Production[ns]
	case StageEverywhere:
		return true
	}
	return false
}

// Bindings are the bindings of one policy at a stage: the audit or warn
// binding over every namespace not excluded, and deny bindings over the
// namespaces the stage denies in — by name (the canary and production
// namespaces as found, so patterns work) and by the configured label
// selectors (so namespaces labelled later are covered too).
func Bindings(pol *admissionregistrationv1.ValidatingAdmissionPolicy, s Stage, cfg *config.Config, place Placement) []*admissionregistrationv1.ValidatingAdmissionPolicyBinding {
	excluded := sortedKeys(place.Excluded)
	for _, e := range cfg.Rollout.ExcludedNamespaces() {
		if !place.Excluded[e] && !hasGlob(e) {
			excluded = append(excluded, e)
		}
	}
	sort.Strings(excluded)
	base := func(extra ...metav1.LabelSelectorRequirement) *metav1.LabelSelector {
		sel := &metav1.LabelSelector{}
		if len(excluded) > 0 {
			sel.MatchExpressions = append(sel.MatchExpressions, metav1.LabelSelectorRequirement{
				Key: nameLabel, Operator: metav1.LabelSelectorOpNotIn, Values: excluded})
		}
		sel.MatchExpressions = append(sel.MatchExpressions, extra...)
		return sel
	}
	bind := func(suffix string, sel *metav1.LabelSelector, actions ...admissionregistrationv1.ValidationAction) *admissionregistrationv1.ValidatingAdmissionPolicyBinding {
		b := cel.ValidatingAdmissionPolicyBinding(pol, cel.DefaultParamsRef, actions...)
		b.Name = pol.Name + suffix
		b.Labels[stageLabel] = s.String()
		b.Spec.MatchResources = &admissionregistrationv1.MatchResources{NamespaceSelector: sel}
		return b
	}
	var out []*admissionregistrationv1.ValidatingAdmissionPolicyBinding
	switch s {
	case StageNone:
		return nil
	case StageAudit:
		return append(out, bind("", base(), admissionregistrationv1.Audit))
	case StageEverywhere:
		return append(out, bind("", base(), admissionregistrationv1.Deny))
	}
	out = append(out, bind("", base(), admissionregistrationv1.Warn, admissionregistrationv1.Audit))
	if s == StageWarn {
		return out
	}
	sets := []struct {
		name  string
		names map[string]bool
		set   config.NamespaceSet
	}{{"canary", place.Canary, cfg.Rollout.Canary}}
	if s == StageProduction {
		sets = append(sets, struct {
			name  string
			names map[string]bool
			set   config.NamespaceSet
		}{"production", place.Production, cfg.ProductionSet()})
	}
	for _, st := range sets {
		if names := sortedKeys(st.names); len(names) > 0 {
			out = append(out, bind("-deny-"+st.name, base(metav1.LabelSelectorRequirement{
				Key: nameLabel, Operator: metav1.LabelSelectorOpIn, Values: names}), admissionregistrationv1.Deny))
		}
		if st.set.Selector != "" {
			sel, err := metav1.ParseToLabelSelector(st.set.Selector)
			if err == nil {
				s := base(sel.MatchExpressions...)
				s.MatchLabels = sel.MatchLabels
				out = append(out, bind("-deny-"+st.name+"-selector", s, admissionregistrationv1.Deny))
			}
		}
	}
	return out
}

const (
	nameLabel  = "kubernetes.io/metadata.name"
	stageLabel = "kharden.dev/stage"
)

func hasGlob(p string) bool {
	for _, c := range p {
		if c == '*' || c == '?' || c == '[' {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// PSALabels are the Pod Security labels a stage sets on a namespace (nil:
// none): audit from the audit stage, warn from the warn stage, enforce where
// the stage denies — pinned to version. held namespaces (with a Pod
// Security exception in force) are never enforced.
func PSALabels(s Stage, ns string, level, version string, place Placement, held bool) map[string]string {
	if place.Excluded[ns] || s == StageNone {
		return nil
	}
	out := map[string]string{psa.LabelPrefix + "audit": level, psa.LabelPrefix + "audit-version": version}
	if s >= StageWarn {
		out[psa.LabelPrefix+"warn"] = level
		out[psa.LabelPrefix+"warn-version"] = version
	}
	if place.Denied(s, ns) && !held {
		out[psa.LabelPrefix+"enforce"] = level
		out[psa.LabelPrefix+"enforce-version"] = version
	}
	return out
}

// selectorMatches is used by tests to read a binding's selector.
func selectorMatches(sel *metav1.LabelSelector, ns Namespace) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false
	}
	l := labels.Set{}
	for k, v := range ns.Labels {
		l[k] = v
	}
	l[nameLabel] = ns.Name
	return s.Matches(l)
}

func sortStrings(s []string) { sort.Strings(s) }
