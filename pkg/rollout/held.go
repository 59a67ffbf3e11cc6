package rollout

import (
	"path"
	"strconv"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// HeldNamespaces are the namespaces where an exception in force covers a
// Pod Security rule: an exception of .kharden.yaml naming the namespace, or
// selecting an object of it, or a kharden.dev/ignore annotation on an object
// of it. PSA has no per-object exemption, so enforcing there would deny what
// CI lets through: those namespaces stay at warn, and the plan says why.
func HeldNamespaces(cfg *config.Config, inv *inventory.Inventory, now time.Time) map[string]string {
	pss := map[finding.RuleID]bool{PodSecurity: true}
	for _, c := range checks.Catalogue() {
		if c.Engine == checks.EnginePSS {
			pss[c.ID] = true
		}
	}
	coversPSS := func(rules []finding.RuleID) bool {
		for _, r := range rules {
			if r == "*" || pss[r] {
				return true
			}
		}
		return false
	}
	held := map[string]string{}
	for i, e := range cfg.Exceptions {
		if e.ExpiredAt(now) || !coversPSS(e.Rules) {
			continue
		}
		why := "exceptions[" + strconv.Itoa(i) + "] (owner " + e.Owner + ") covers a Pod Security rule"
		for _, o := range inv.Objects {
			ns := o.Ref.Namespace
			if ns == "" || held[ns] != "" {
				continue
			}
			if match(e.Scope.Namespaces, ns) && match(e.Scope.Kinds, o.GK.Kind) && match(e.Scope.Names, o.Ref.Name) {
				held[ns] = why
			}
		}
		for _, p := range e.Scope.Namespaces {
			if !hasGlob(p) && held[p] == "" && len(e.Scope.Kinds) == 0 && len(e.Scope.Names) == 0 {
				held[p] = why
			}
		}
	}
	for _, o := range inv.Objects {
		ns := o.Ref.Namespace
		if ns == "" || held[ns] != "" {
			continue
		}
		if x := checks.ReadAnnotationException(o, now); x != nil && x.Problem == "" {
			for id := range pss {
				if x.Covers(id) {
					held[ns] = o.Ref.String() + " carries a kharden.dev/ignore exception for a Pod Security rule"
					break
				}
			}
		}
	}
	return held
}

func match(patterns []string, v string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if ok, _ := path.Match(p, v); ok {
			return true
		}
	}
	return false
}
