package dns

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
)

// Options configure an Engine.
type Options struct {
	// Config is .kharden.yaml (its detect section); nil means defaults.
	Config *config.Config
	// Rules limits the detectors to these rules; empty runs all.
	Rules []finding.RuleID
	// Since and Until bound the queries analysed (zero: unbounded).
	// Queries without a time are always analysed.
	Since, Until time.Time
	// Pods names the pods behind client addresses; nil names none.
	Pods *Pods
}

// Rules returns the metadata of the DNS detectors' rules.
func Rules() []*checks.Check { return checks.DNSRules() }

// EngineStats counts what the engine saw.
type EngineStats struct {
	Observed     int64     `json:"observed"`
	OutsideRange int64     `json:"outsideRange"`
	Late         int64     `json:"late"`
	Clients      int       `json:"clients"`
	First        time.Time `json:"first"`
	Last         time.Time `json:"last"`
	// DroppedFindings and DroppedStates count what the bounds left out.
	DroppedFindings int64 `json:"droppedFindings"`
	DroppedStates   int64 `json:"droppedStates"`
}

// Bounds of the engine's memory.
const (
	MaxFindings = 50000
	maxClients  = 200000
)

// client is what the engine knows of one address.
type client struct {
	ip    string
	ref   finding.ObjectRef
	actor string // "ns/name" of its pod, when known
}

// detector is one stateful detector; see the auditlog engine for the
// contract (advance closes windows ending at or before the watermark).
type detector interface {
	observe(rec *Record, c *client)
	advance(watermark time.Time)
	flush()
}

// Engine runs the detectors over a stream of records.
type Engine struct {
	opts      Options
	settings  *config.DetectSettings
	dets      []detector
	rep       *reporter
	clients   map[string]*client
	watermark time.Time
	newest    time.Time
	stats     EngineStats
	spikes    []*rateDetector
	random    *randomDetector
}

// New builds an engine; an unknown rule or an invalid detect section is
// an error.
func New(opts Options) (*Engine, error) {
	cfg := opts.Config
	if cfg == nil {
		cfg = config.Default()
	}
	s, err := cfg.Detection()
	if err != nil {
		return nil, err
	}
	want := map[finding.RuleID]bool{}
	for _, id := range opts.Rules {
		if !slices.Contains(checks.DNSRuleIDs, id) {
			return nil, fmt.Errorf("unknown DNS rule %q", id)
		}
		want[id] = true
	}
	e := &Engine{opts: opts, settings: s, clients: map[string]*client{}}
	e.rep = newReporter(cfg)
	on := func(id finding.RuleID) bool {
		return (len(want) == 0 || want[id]) && cfg.RuleEnabled(id, true)
	}
	dom := newDomains(s.DNSIgnoreSuffixes)
	if on(checks.RuleDNSQuerySpike) {
		d := newQuerySpike(s, e.rep)
		e.dets = append(e.dets, d)
		e.spikes = append(e.spikes, d)
	}
	if on(checks.RuleDNSNXDomainBurst) {
		d := newNXDomainBurst(s, dom, e.rep)
		e.dets = append(e.dets, d)
		e.spikes = append(e.spikes, d)
	}
	if on(checks.RuleDNSRandomDomains) {
		e.random = newRandomDomains(s, dom, e.rep)
		e.dets = append(e.dets, e.random)
	}
	return e, nil
}

// client returns the engine's entry for an address.
func (e *Engine) client(ip string) *client {
	if c := e.clients[ip]; c != nil {
		return c
	}
	c := &client{ip: ip, ref: finding.ObjectRef{APIVersion: "kharden.dev/v1", Kind: "DNSClient", Name: ip}}
	if ref, ok := e.opts.Pods.Lookup(ip); ok {
		c.ref = ref
		c.actor = ref.Namespace + "/" + ref.Name
	}
	if len(e.clients) < maxClients {
		e.clients[ip] = c
	}
	return c
}

// Observe feeds one record.
func (e *Engine) Observe(rec *Record) {
	t := rec.Time
	if !t.IsZero() && ((!e.opts.Since.IsZero() && t.Before(e.opts.Since)) || (!e.opts.Until.IsZero() && !t.Before(e.opts.Until))) {
		e.stats.OutsideRange++
		return
	}
	e.stats.Observed++
	c := e.client(rec.Client)
	if !t.IsZero() {
		if e.stats.First.IsZero() || t.Before(e.stats.First) {
			e.stats.First = t
		}
		if t.After(e.stats.Last) {
			e.stats.Last = t
		}
		if t.Before(e.watermark) {
			e.stats.Late++
		}
	}
	for _, d := range e.dets {
		d.observe(rec, c)
	}
	if t.After(e.newest) {
		e.newest = t
		if wm := t.Add(-e.settings.AllowedLateness).Truncate(time.Second); wm.After(e.watermark) {
			e.watermark = wm
			for _, d := range e.dets {
				d.advance(wm)
			}
		}
	}
}

// Close closes every open window; call it at the end of the input.
func (e *Engine) Close() {
	for _, d := range e.dets {
		d.flush()
	}
}

// Stats returns the engine's counters.
func (e *Engine) Stats() EngineStats {
	s := e.stats
	s.Clients = len(e.clients)
	s.DroppedFindings = e.rep.dropped
	if e.random != nil {
		s.DroppedStates = e.random.dropped
	}
	return s
}

// Findings returns one finding per (rule, object), most severe first.
func (e *Engine) Findings() []finding.Finding {
	out := make([]finding.Finding, 0, len(e.rep.entries))
	for _, en := range e.rep.entries {
		f := en.f
		d := *f.Detection
		d.Events = slices.Clone(d.Events)
		f.Detection = &d
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Object.String() < b.Object.String()
	})
	return out
}

// evidence trims a record to a detection event.
func evidence(rec *Record, c *client) finding.Event {
	src := rec.Source
	return finding.Event{Time: rec.Time, Source: &src, Actor: c.actor, Client: c.ip, Action: rec.Action(), Outcome: rec.Rcode}
}

// who names a client in messages: "10.244.3.17 (pod dev/miner)".
func (c *client) who() string {
	if c.actor != "" {
		return c.ip + " (pod " + c.actor + ")"
	}
	return c.ip
}
