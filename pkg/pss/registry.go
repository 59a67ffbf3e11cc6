package pss

import (
	"slices"
	"sync"

	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/kharden/kharden/pkg/finding"
)

// selectedCheck is one check as it runs at one version.
type selectedCheck struct {
	id    policy.CheckID
	level finding.Level
	fn    policy.CheckPodFn
}

// registry selects checks per level and version the way the library's
// checkRegistry does (policy/registry.go), but keeps the ids that its
// EvaluatePod drops.
type registry struct {
	checks []policy.Check
	// ids in the library's evaluation order: baseline ids sorted, then
	// restricted ids sorted.
	order      []policy.CheckID
	byID       map[policy.CheckID]*policy.Check
	maxVersion api.Version
}

func newRegistry(checks []policy.Check) *registry {
	r := &registry{checks: checks, byID: map[policy.CheckID]*policy.Check{}}
	var base, restr []policy.CheckID
	for i := range checks {
		c := &checks[i]
		r.byID[c.ID] = c
		if c.Level == api.LevelRestricted {
			restr = append(restr, c.ID)
		} else {
			base = append(base, c.ID)
		}
		if last := c.Versions[len(c.Versions)-1].MinimumVersion; r.maxVersion.Older(last) {
			r.maxVersion = last
		}
	}
	slices.Sort(base)
	slices.Sort(restr)
	r.order = append(base, restr...)
	return r
}

// clamp maps "latest" and versions beyond the newest check revision to that
// revision, as checkRegistry.EvaluatePod does.
func (r *registry) clamp(v api.Version) api.Version {
	if r.maxVersion.Older(v) {
		return r.maxVersion
	}
	return v
}

// at returns the revision of a check in force at version v: the newest one
// whose MinimumVersion is not after v. ok is false before the check existed.
func at(c *policy.Check, v api.Version) (policy.VersionedCheck, bool) {
	for i := len(c.Versions) - 1; i >= 0; i-- {
		if !v.Older(c.Versions[i].MinimumVersion) {
			return c.Versions[i], true
		}
	}
	return policy.VersionedCheck{}, false
}

// checksFor lists the checks run at a level and (clamped) version: baseline
// runs baseline checks; restricted runs restricted checks plus the baseline
// checks that no restricted check in force overrides.
func (r *registry) checksFor(level api.Level, v api.Version) []selectedCheck {
	overridden := map[policy.CheckID]bool{}
	if level == api.LevelRestricted {
		for i := range r.checks {
			c := &r.checks[i]
			if c.Level != api.LevelRestricted {
				continue
			}
			if vc, ok := at(c, v); ok {
				for _, id := range vc.OverrideCheckIDs {
					overridden[id] = true
				}
			}
		}
	}
	var out []selectedCheck
	for _, id := range r.order {
		c := r.byID[id]
		if c.Level == api.LevelRestricted && level != api.LevelRestricted {
			continue
		}
		if overridden[id] {
			continue
		}
		vc, ok := at(c, v)
		if !ok {
			continue
		}
		out = append(out, selectedCheck{id: id, level: finding.Level(c.Level), fn: vc.CheckPod})
	}
	return out
}

// defaultRegistry answers questions about the library's checks that do not
// depend on a version.
var defaultRegistry = sync.OnceValue(func() *registry { return newRegistry(policy.DefaultChecks()) })

// CheckIDs lists the id of every check the library enables by default, in
// its evaluation order.
func CheckIDs() []policy.CheckID { return slices.Clone(defaultRegistry().order) }

// CheckLevel returns the level a library check belongs to.
func CheckLevel(id policy.CheckID) (finding.Level, bool) {
	c, ok := defaultRegistry().byID[id]
	if !ok {
		return finding.LevelNone, false
	}
	return finding.Level(c.Level), true
}

// CheckRunsAt reports whether a check is part of the evaluation at a level
// and version: it exists at that version, belongs to the level (or to
// baseline, for restricted), and no restricted check in force overrides it.
func CheckRunsAt(id policy.CheckID, level finding.Level, v api.Version) bool {
	r := defaultRegistry()
	lvl := api.LevelBaseline
	if level == finding.LevelRestricted {
		lvl = api.LevelRestricted
	}
	for _, c := range r.checksFor(lvl, r.clamp(v)) {
		if c.id == id {
			return true
		}
	}
	return false
}
