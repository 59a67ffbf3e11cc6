package controlplane

import (
	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// cloudRule returns the catalogue entry of id, one of the rules CheckCloud
// and ProbeLive report. Their ids are constants of pkg/checks, so a missing
// entry is a programming error caught by the tests.
func cloudRule(id finding.RuleID) *checks.Check {
	c, ok := checks.Lookup(checks.ControlplaneRules(), id)
	if !ok {
		panic("internal error: rule " + string(id) + " is not in the control-plane catalogue")
	}
	return c
}
