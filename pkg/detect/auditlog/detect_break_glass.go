package auditlog

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// breakGlass reports audit-break-glass-used: every final record of a
// request by a user matching detect.breakGlassUsers or holding a group of
// breakGlassGroups, directly or through impersonation. One finding per
// account; the message lists its first distinct actions.
type breakGlass struct {
	env *Env
	// uses remembers, per account, its requests and first actions.
	uses map[string]*glassUse
}

type glassUse struct {
	requests int
	actions  []string
}

// glassActions is how many distinct actions a message lists.
const glassActions = 5

func init() {
	register(func(env *Env) detector { return &breakGlass{env: env, uses: map[string]*glassUse{}} }, checks.RuleAuditBreakGlassUsed)
}

func (d *breakGlass) observe(ev *Event, r *Reporter) {
	if !ev.Final() {
		return
	}
	account, via := d.match(ev.User)
	if account == "" && ev.Impersonated != nil {
		account, via = d.match(*ev.Impersonated)
	}
	if account == "" {
		return
	}
	u := d.uses[account]
	if u == nil {
		u = &glassUse{}
		d.uses[account] = u
	}
	u.requests++
	if a := ev.Action(); len(u.actions) < glassActions && !slices.Contains(u.actions, a) {
		u.actions = append(u.actions, a)
	}
	noun := "requests"
	if u.requests == 1 {
		noun = "request"
	}
	r.Report(Hit{
		Rule: checks.RuleAuditBreakGlassUsed, Object: UserRef(account),
		Message: fmt.Sprintf("Break-glass account %s%s made %s %s from %s, first: %s.", account, via, countText(u.requests), noun,
			clientText(ev), strings.Join(u.actions, "; ")),
		Events: []finding.Event{ev.Evidence()}, Score: float64(u.requests),
	})
}

// match returns the break-glass account of a user and why it is one.
func (d *breakGlass) match(u UserInfo) (account, via string) {
	s := d.env.Settings
	for _, p := range s.BreakGlassUsers {
		if ok, _ := path.Match(p, u.Username); ok {
			return u.Username, ""
		}
	}
	for _, g := range u.Groups {
		if slices.Contains(s.BreakGlassGroups, g) {
			name := u.Username
			if name == "" {
				name = "(unauthenticated)"
			}
			return name, " (group " + g + ")"
		}
	}
	return "", ""
}

func (*breakGlass) advance(time.Time, *Reporter) {}
func (*breakGlass) flush(*Reporter)              {}
