package auditlog

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/detect/window"
	"github.com/kharden/kharden/pkg/finding"
)

// requestRate reports audit-request-rate-anomaly: the final records of
// requests counted per source IP and per authenticated identity in windows
// of detect.window, a window firing when it holds at least
// detect.requestRate.min requests and more than detect.requestRate.factor
// times the key's own baseline. Requests without a user (failed
// authentication) are counted by source only.
type requestRate struct {
	env   *Env
	rates *window.Rates
}

func init() {
	register(func(env *Env) detector {
		s := env.Settings
		return &requestRate{env: env, rates: window.New(window.Config{
			Window: s.Window, Warmup: s.Warmup, Min: s.RequestRate.Min, Factor: s.RequestRate.Factor})}
	}, checks.RuleAuditRequestRateAnomaly)
}

// Keys of the rate detectors: a source IP or an identity.
const (
	keySource = "ip\x00"
	keyUser   = "user\x00"
)

func (d *requestRate) observe(ev *Event, _ *Reporter) {
	d.rates.Seen(ev.Time) // the warm-up starts with the log
	if !ev.Final() {
		return
	}
	evidence := ev.Evidence
	d.rates.Add(keySource+ev.SourceIP(), ev.Time, evidence)
	if ev.User.Username != "" {
		d.rates.Add(keyUser+ev.User.Username, ev.Time, evidence)
	}
}

func (d *requestRate) advance(wm time.Time, r *Reporter) {
	d.rates.Advance(wm, func(s window.Spike) { d.report(s, r) })
}

func (d *requestRate) flush(r *Reporter) {
	d.rates.Flush(func(s window.Spike) { d.report(s, r) })
}

func (d *requestRate) report(s window.Spike, r *Reporter) {
	obj, who := rateKeyObject(s.Key)
	r.Report(Hit{
		Rule: checks.RuleAuditRequestRateAnomaly, Object: obj,
		Message: fmt.Sprintf("%s requests in %s from %s, %s.", countText(s.Count), durText(s.Window), who, spikeBaseline(s, "with no history before")),
		Events:  s.Events, Count: s.Count, At: s.Start, Score: s.Ratio(),
	})
}

// rateKeyObject turns a rate key back into the finding's object and the
// words naming it.
func rateKeyObject(key string) (finding.ObjectRef, string) {
	if ip, ok := strings.CutPrefix(key, keySource); ok {
		if ip == "" {
			ip = "(unknown)"
		}
		return SourceRef(ip), ip
	}
	user, _ := strings.CutPrefix(key, keyUser)
	return UserRef(user), user
}

// spikeBaseline says how a window compares with the key's history; fresh
// describes a key with no history at all.
func spikeBaseline(s window.Spike, fresh string) string {
	if s.New {
		return fresh
	}
	if s.Baseline < 0.05 {
		return "against a baseline of about zero"
	}
	return fmt.Sprintf("%sx its baseline of %s", ratioText(s.Ratio()), ratioText(s.Baseline))
}

// countText writes n with thousands separators: 1,480.
func countText(n int) string {
	s := strconv.Itoa(n)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}

// ratioText writes a ratio or baseline with the precision it deserves.
func ratioText(f float64) string {
	switch {
	case f >= 100:
		return countText(int(f + 0.5))
	case f >= 10:
		return strconv.FormatFloat(f, 'f', 0, 64)
	default:
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
}

// durText writes a duration without its zero tails: 1m, 90s, 1h30m.
func durText(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// clientText names the request's source address for a message.
func clientText(ev *Event) string {
	if ip := ev.SourceIP(); ip != "" {
		return ip
	}
	return "an unknown address"
}
