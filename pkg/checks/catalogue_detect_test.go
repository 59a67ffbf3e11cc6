package checks

import (
	"testing"

	"github.com/kharden/kharden/pkg/finding"
)

// Every detector id has exactly one catalogue entry, reported by its
// command, in the detection category; and no entry lacks an id constant.
func TestDetectCatalogueComplete(t *testing.T) {
	for _, tc := range []struct {
		ids     []finding.RuleID
		rules   []*Check
		command string
	}{{AuditRuleIDs, AuditRules(), AuditCommand}, {DNSRuleIDs, DNSRules(), DNSCommand}} {
		byID := map[finding.RuleID]*Check{}
		for _, c := range tc.rules {
			if byID[c.ID] != nil {
				t.Errorf("%s listed twice", c.ID)
			}
			byID[c.ID] = c
			if c.Command != tc.command || c.Engine != EngineAnalysis || c.Category != finding.CategoryDetection {
				t.Errorf("%s: command %q engine %q category %q", c.ID, c.Command, c.Engine, c.Category)
			}
		}
		for _, id := range tc.ids {
			if byID[id] == nil {
				t.Errorf("%s has no catalogue entry", id)
			}
		}
		if len(byID) != len(tc.ids) {
			t.Errorf("%d entries for %d ids", len(byID), len(tc.ids))
		}
	}
}
