package config

import (
	"errors"
	"fmt"
	"path"

	"k8s.io/apimachinery/pkg/labels"
)

// Rollout configures `kharden rollout`: which namespaces are canaries and
// production, which are left out, the Pod Security level aimed at, and when
// a stage may be promoted.
type Rollout struct {
	// Canary namespaces are denied first: names (path.Match patterns)
	// and/or a label selector.
	Canary NamespaceSet `json:"canary,omitempty"`
	// Production namespaces are denied next; empty means
	// productionNamespaces.
	Production NamespaceSet `json:"production,omitempty"`
	// Exclude lists namespaces no stage touches (default kube-system,
	// kube-public, kube-node-lease).
	Exclude []string `json:"exclude,omitempty"`
	// PodSecurityLevel is the level PSA labels aim at (default restricted).
	PodSecurityLevel string `json:"podSecurityLevel,omitempty"`
	// Promotion says when a rule may move to the next stage.
	Promotion Promotion `json:"promotion,omitempty"`
}

// NamespaceSet selects namespaces by name pattern or label selector (either
// matching is enough).
type NamespaceSet struct {
	Namespaces []string `json:"namespaces,omitempty"`
	Selector   string   `json:"selector,omitempty"`
}

// Empty reports whether the set selects nothing.
func (s NamespaceSet) Empty() bool { return len(s.Namespaces) == 0 && s.Selector == "" }

// Matches reports whether a namespace with these labels is in the set.
func (s NamespaceSet) Matches(name string, nsLabels map[string]string) bool {
	for _, p := range s.Namespaces {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	if s.Selector != "" {
		if sel, err := labels.Parse(s.Selector); err == nil && sel.Matches(labels.Set(nsLabels)) {
			return true
		}
	}
	return false
}

// Promotion criteria: at least MinDays at the current stage, and at most
// MaxViolations current violations.
type Promotion struct {
	MinDays       int `json:"minDays,omitempty"`
	MaxViolations int `json:"maxViolations,omitempty"`
}

// RolloutExcluded are the namespaces no stage touches by default.
var RolloutExcluded = []string{"kube-system", "kube-public", "kube-node-lease"}

// ExcludedNamespaces is the configured exclusion list, or the default.
func (r Rollout) ExcludedNamespaces() []string {
	if len(r.Exclude) == 0 {
		return RolloutExcluded
	}
	return r.Exclude
}

// Level is the Pod Security level aimed at.
func (r Rollout) Level() string {
	if r.PodSecurityLevel == "" {
		return "restricted"
	}
	return r.PodSecurityLevel
}

// ProductionSet is the production namespaces of the rollout.
func (c *Config) ProductionSet() NamespaceSet {
	if !c.Rollout.Production.Empty() {
		return c.Rollout.Production
	}
	return NamespaceSet{Namespaces: c.ProductionNamespaces}
}

// validateRollout checks selectors, patterns and the level.
func (r Rollout) validate() error {
	var errs []error
	for what, s := range map[string]NamespaceSet{"canary": r.Canary, "production": r.Production} {
		if s.Selector != "" {
			if _, err := labels.Parse(s.Selector); err != nil {
				errs = append(errs, fmt.Errorf("rollout.%s.selector %q: %w", what, s.Selector, err))
			}
		}
		for _, p := range s.Namespaces {
			if _, err := path.Match(p, ""); err != nil {
				errs = append(errs, fmt.Errorf("rollout.%s.namespaces %q: %w", what, p, err))
			}
		}
	}
	switch r.PodSecurityLevel {
	case "", "privileged", "baseline", "restricted":
	default:
		errs = append(errs, fmt.Errorf("rollout.podSecurityLevel %q: want privileged, baseline or restricted", r.PodSecurityLevel))
	}
	if r.Promotion.MinDays < 0 || r.Promotion.MaxViolations < 0 {
		errs = append(errs, errors.New("rollout.promotion: minDays and maxViolations must not be negative"))
	}
	return errors.Join(errs...)
}
