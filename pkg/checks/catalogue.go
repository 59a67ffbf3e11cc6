package checks

import (
	"errors"
	"fmt"
	"regexp"
	"sort"

	"github.com/kharden/kharden/pkg/finding"
)

// The catalogue is the explicit list of every rule; each engine's rules are
// listed in their own file (catalogue_pss.go, catalogue_cel.go,
// catalogue_go.go, catalogue_analysis.go).
func Catalogue() []*Check {
	var all []*Check
	all = append(all, pssChecks...)
	all = append(all, celChecks...)
	all = append(all, goChecks...)
	all = append(all, analysisChecks...)
	all = append(all, rbacChecks...)
	all = append(all, netpolChecks...)
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return all
}

var ruleIDPattern = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// Validate checks the catalogue's integrity: unique kebab-case ids, complete
// metadata, and an engine with what it needs.
func Validate(cat []*Check) error {
	var errs []error
	seen := map[finding.RuleID]bool{}
	for _, c := range cat {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("rule %q: %s", c.ID, fmt.Sprintf(format, args...)))
		}
		if !ruleIDPattern.MatchString(string(c.ID)) {
			bad("id is not kebab-case")
		}
		if seen[c.ID] {
			bad("duplicate id")
		}
		seen[c.ID] = true
		if c.Category == "" || c.Summary == "" || c.Doc == "" || c.Remediation == "" {
			bad("category, summary, doc and remediation are all required")
		}
		if len(c.References) == 0 {
			bad("no references")
		}
		switch c.Engine {
		case EnginePSS:
			if c.PSS == nil || len(c.PSS.Checks) == 0 || c.PSS.Locate == nil {
				bad("PSS engine without PSA checks and a locator")
			}
			if c.Level == finding.LevelNone {
				bad("PSS rule without a level")
			}
		case EngineCEL:
			if c.Guardrail == nil {
				bad("CEL engine without a guardrail")
			}
		case EngineGo:
			if c.Run == nil {
				bad("Go engine without Run")
			}
		case EngineAnalysis:
			if c.Run != nil || c.Guardrail != nil || c.PSS != nil {
				bad("analysis rules are reported by their command, not run by the scanner")
			}
		default:
			bad("unknown engine %q", c.Engine)
		}
	}
	return errors.Join(errs...)
}

// Lookup returns the rule with this id.
func Lookup(cat []*Check, id finding.RuleID) (*Check, bool) {
	for _, c := range cat {
		if c.ID == id {
			return c, true
		}
	}
	return nil, false
}
