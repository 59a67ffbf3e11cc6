package auditlog

import (
	"fmt"
	"sort"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/detect/window"
)

// authFailures reports audit-auth-failure-spike: the final records of
// requests answered 401 or 403, counted per source IP and, for 403s, per
// user (a 401 has no user), in windows of detect.window; a window fires
// when it holds at least detect.authFailures.min failures and more than
// detect.authFailures.factor times the key's own baseline. It also tallies
// what each key probed, for the message.
type authFailures struct {
	env   *Env
	rates *window.Rates
	// probes[window index][key] counts the actions each key failed on.
	probes map[int64]map[string]*probeTally
}

// probeTally counts a key's failed actions in one window, remembering at
// most maxProbeKinds distinct actions.
type probeTally struct{ n map[string]int }

const maxProbeKinds = 32

func init() {
	register(func(env *Env) detector {
		s := env.Settings
		return &authFailures{env: env, probes: map[int64]map[string]*probeTally{}, rates: window.New(window.Config{
			Window: s.Window, Warmup: s.Warmup, Min: s.AuthFailures.Min, Factor: s.AuthFailures.Factor})}
	}, checks.RuleAuditAuthFailureSpike)
}

func (d *authFailures) observe(ev *Event, _ *Reporter) {
	d.rates.Seen(ev.Time) // the warm-up starts with the log
	if !ev.Final() || (ev.Code != 401 && ev.Code != 403) {
		return
	}
	d.add(keySource+ev.SourceIP(), ev)
	if ev.Code == 403 && ev.User.Username != "" {
		d.add(keyUser+ev.User.Username, ev)
	}
}

func (d *authFailures) add(key string, ev *Event) {
	d.rates.Add(key, ev.Time, ev.Evidence)
	i := ev.Time.UnixNano() / int64(d.env.Settings.Window)
	w := d.probes[i]
	if w == nil {
		w = map[string]*probeTally{}
		d.probes[i] = w
	}
	p := w[key]
	if p == nil {
		p = &probeTally{n: map[string]int{}}
		w[key] = p
	}
	a := ev.Action()
	if _, ok := p.n[a]; ok || len(p.n) < maxProbeKinds {
		p.n[a]++
	}
}

func (d *authFailures) advance(wm time.Time, r *Reporter) {
	d.rates.Advance(wm, func(s window.Spike) { d.report(s, r) })
	// Tallies of closed windows are no longer needed (a late event may
	// recreate one; the next advance drops it).
	upto := wm.UnixNano() / int64(d.env.Settings.Window)
	for i := range d.probes {
		if i < upto {
			delete(d.probes, i)
		}
	}
}

func (d *authFailures) flush(r *Reporter) {
	d.rates.Flush(func(s window.Spike) { d.report(s, r) })
	clear(d.probes)
}

func (d *authFailures) report(s window.Spike, r *Reporter) {
	obj, who := rateKeyObject(s.Key)
	probed := ""
	if w := d.probes[s.Start.UnixNano()/int64(s.Window)]; w != nil && w[s.Key] != nil {
		probed = "; most failed: " + topProbes(w[s.Key].n, 3)
	}
	r.Report(Hit{
		Rule: checks.RuleAuditAuthFailureSpike, Object: obj,
		Message: fmt.Sprintf("%s failed requests (401/403) in %s from %s, %s%s.", countText(s.Count), durText(s.Window), who,
			spikeBaseline(s, "with no failures before"), probed),
		Events: s.Events, Count: s.Count, At: s.Start, Score: s.Ratio(),
	})
}

// topProbes renders the n most frequent actions: "list secrets (80), get /.env (41)".
func topProbes(counts map[string]int, n int) string {
	type kv struct {
		action string
		count  int
	}
	all := make([]kv, 0, len(counts))
	for a, c := range counts {
		all = append(all, kv{a, c})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].count != all[j].count {
			return all[i].count > all[j].count
		}
		return all[i].action < all[j].action
	})
	out := ""
	for i, e := range all[:min(n, len(all))] {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%s (%s)", e.action, countText(e.count))
	}
	return out
}
