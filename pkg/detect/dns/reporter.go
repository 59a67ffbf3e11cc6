package dns

import (
	"slices"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
)

// hit is one detection: a rule fired on a client in one window.
type hit struct {
	rule    finding.RuleID
	client  *client
	message string
	events  []finding.Event
	count   int
	at      time.Time
	score   float64 // the message of the highest-scoring hit is kept
}

// reporter merges hits into one finding per rule and object.
type reporter struct {
	meta    map[finding.RuleID]*checks.Check
	entries map[string]*entry
	dropped int64
}

type entry struct {
	f     finding.Finding
	score float64
}

func newReporter(cfg *config.Config) *reporter {
	_ = cfg
	r := &reporter{meta: map[finding.RuleID]*checks.Check{}, entries: map[string]*entry{}}
	for _, c := range checks.DNSRules() {
		r.meta[c.ID] = c
	}
	return r
}

func (r *reporter) report(h hit) {
	c := r.meta[h.rule]
	if c == nil {
		// A rule without a catalogue entry still reports, with no
		// metadata: the catalogue test catches it.
		c = &checks.Check{ID: h.rule, Category: finding.CategoryDetection, Severity: finding.SeverityMedium}
	}
	key := string(h.rule) + "\x00" + h.client.ref.String()
	en := r.entries[key]
	if en == nil {
		if len(r.entries) >= MaxFindings {
			r.dropped++
			return
		}
		en = &entry{f: finding.Finding{
			Rule: c.ID, Category: c.Category, Severity: c.Severity, Object: h.client.ref, Message: h.message,
			Remediation: c.Remediation, References: slices.Clone(c.References),
			Detection: &finding.Detection{First: h.at, Last: h.at},
		}, score: h.score}
		r.entries[key] = en
	} else if h.score > en.score {
		en.f.Message, en.score = h.message, h.score
	}
	d := en.f.Detection
	d.Count += max(h.count, 1)
	if !h.at.IsZero() {
		if d.First.IsZero() || h.at.Before(d.First) {
			d.First = h.at
		}
		if h.at.After(d.Last) {
			d.Last = h.at
		}
	}
	for _, ev := range h.events {
		if len(d.Events) >= finding.MaxDetectionEvents {
			break
		}
		d.Events = append(d.Events, ev)
	}
}
