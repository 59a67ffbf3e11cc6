package rollout

import (
	"fmt"
	"strings"
	"time"

	"github.com/kharden/kharden/pkg/config"
)

// Readiness says whether a rule may move to its next stage under the
// configuration's promotion criteria (rollout.promotion): at least minDays
// at its stage, at most maxViolations violating objects now, and at most
// maxViolations violations audited by the API server (when a log was read).
type Readiness struct {
	Ready   bool     `json:"ready"`
	Reasons []string `json:"reasons,omitempty"`
}

// Ready judges a rule of the plan at now.
func Ready(rp *RulePlan, cfg *config.Config, now time.Time) Readiness {
	pr := cfg.Rollout.Promotion
	var why []string
	if rp.Stage >= StageEverywhere {
		return Readiness{Reasons: []string{"already denied everywhere"}}
	}
	if pr.MinDays > 0 && rp.Stage > StageNone {
		days := now.Sub(rp.Since).Hours() / 24
		if rp.Since.IsZero() || days < float64(pr.MinDays) {
			why = append(why, fmt.Sprintf("%.1f of %d days at %s", max(days, 0), pr.MinDays, rp.Stage))
		}
	}
	if n := rp.Total(); n > pr.MaxViolations {
		why = append(why, fmt.Sprintf("%d violating object(s) now (at most %d)", n, pr.MaxViolations))
	}
	if n := sum(rp.Audited); n > pr.MaxViolations {
		why = append(why, fmt.Sprintf("%d violation(s) in the audit log (at most %d)", n, pr.MaxViolations))
	}
	return Readiness{Ready: len(why) == 0, Reasons: why}
}

// String renders readiness for a table.
func (r Readiness) String() string {
	if r.Ready {
		return "ready"
	}
	return "not yet: " + strings.Join(r.Reasons, "; ")
}
