package dns

import (
	"fmt"
	"strconv"
	"time"

	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/detect/window"
	"github.com/kharden/kharden/pkg/finding"
)

// rateDetector counts the records a filter keeps per client, in windows,
// against each client's own baseline: dns-query-spike counts every query,
// dns-nxdomain-burst the NXDOMAIN answers that are not search-path tries.
// Records without a time cannot be placed in a window and are not counted.
type rateDetector struct {
	rates   *window.Rates
	rep     *reporter
	rule    string
	keep    func(rec *Record) bool
	what    string // "queries", "NXDOMAIN answers"
	clients map[string]*client
}

func (d *rateDetector) observe(rec *Record, c *client) {
	if rec.Time.IsZero() || !d.keep(rec) {
		return
	}
	if _, ok := d.clients[c.ip]; !ok && len(d.clients) < maxClients {
		d.clients[c.ip] = c
	}
	d.rates.Add(c.ip, rec.Time, func() finding.Event { return evidence(rec, c) })
}

func (d *rateDetector) advance(wm time.Time) { d.rates.Advance(wm, d.spike) }
func (d *rateDetector) flush()               { d.rates.Flush(d.spike) }

func (d *rateDetector) spike(s window.Spike) {
	c := d.clients[s.Key]
	if c == nil {
		c = &client{ip: s.Key}
		c.ref.APIVersion, c.ref.Kind, c.ref.Name = "kharden.dev/v1", "DNSClient", s.Key
	}
	base := "no earlier traffic"
	if !s.New {
		base = fmt.Sprintf("%.0fx its baseline of %s", s.Ratio(), thousands(int64(s.Baseline+0.5)))
	}
	msg := fmt.Sprintf("%s %s in %s from %s, %s.", thousands(int64(s.Count)), d.what, shortDuration(s.Window), c.who(), base)
	d.rep.report(hit{rule: finding.RuleID(d.rule), client: c, message: msg, events: s.Events, count: s.Count,
		at: s.Start, score: s.Ratio()})
}

func newRateDetector(rule string, t config.RateThreshold, s *config.DetectSettings, rep *reporter) *rateDetector {
	return &rateDetector{
		rates: window.New(window.Config{Window: s.Window, Warmup: s.Warmup, Min: t.Min, Factor: t.Factor}),
		rep:   rep, rule: rule, clients: map[string]*client{},
	}
}

// thousands renders 1480 as "1,480".
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// shortDuration renders 1m0s as "1m".
func shortDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}
