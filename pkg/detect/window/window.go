// Package window counts events per key in fixed time windows and judges each
// closed window against the key's own history: an exponentially weighted
// moving average of its earlier windows (windows without events count as
// zero). It is what the audit and DNS rate detectors share. Memory is bounded
// by the keys of the open windows and a cap on remembered baselines.
package window

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/kharden/kharden/pkg/finding"
)

// Config sets the windows and the spike threshold.
type Config struct {
	Window time.Duration
	// Warmup: windows starting less than Warmup after the first event only
	// learn; they never spike.
	Warmup time.Duration
	// Min and Factor: a window spikes when its count is at least Min and
	// more than Factor times the key's baseline.
	Min    int
	Factor float64
	// Alpha is the weight of the newest window in the baseline (default 0.1).
	Alpha float64
	// MaxKeys bounds the baselines remembered (default 200,000); the least
	// recently seen are forgotten first.
	MaxKeys int
	// Evidence is how many events each key keeps per window (default
	// finding.MaxDetectionEvents).
	Evidence int
}

// Spike is a closed window whose count was far above its key's baseline.
type Spike struct {
	Key      string
	Start    time.Time
	Window   time.Duration
	Count    int
	Baseline float64
	// New is set when the key had no earlier window at all, or only its
	// first one, just before: a key that appears mid-window (a new client)
	// counts only part of its first window, which must not become the
	// baseline its next, full window is judged against.
	New    bool
	Events []finding.Event
}

// Ratio is Count over the baseline (Count when the baseline is zero).
func (s Spike) Ratio() float64 {
	if s.Baseline <= 0 {
		return float64(s.Count)
	}
	return float64(s.Count) / s.Baseline
}

type cell struct {
	count  int
	events []finding.Event
}

type base struct {
	ewma float64
	last int64 // index of the last window folded in
	// partial: the only window folded in is the key's first, which
	// likely began after the window did.
	partial bool
}

// Rates counts per key. Not safe for concurrent use.
type Rates struct {
	cfg    Config
	start  int64 // index of the first window seen; -1 before any
	closed int64 // windows with index < closed are closed
	open   map[int64]map[string]*cell
	bases  map[string]*base
	late   int64
}

// New returns counters for cfg, defaults filled.
func New(cfg Config) *Rates {
	if cfg.Window <= 0 {
		cfg.Window = time.Minute
	}
	if cfg.Alpha <= 0 || cfg.Alpha > 1 {
		cfg.Alpha = 0.1
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = 200000
	}
	if cfg.Evidence <= 0 {
		cfg.Evidence = finding.MaxDetectionEvents
	}
	return &Rates{cfg: cfg, start: -1, closed: math.MinInt64, open: map[int64]map[string]*cell{}, bases: map[string]*base{}}
}

func (r *Rates) index(t time.Time) int64 { return t.UnixNano() / int64(r.cfg.Window) }

// Add counts one event of key at t. evidence is called only while the
// key's window still keeps events. Events of closed windows are late: they
// are counted by Late and otherwise ignored.
func (r *Rates) Add(key string, t time.Time, evidence func() finding.Event) {
	r.AddN(key, t, 1, evidence)
}

// AddN counts n events at once.
func (r *Rates) AddN(key string, t time.Time, n int, evidence func() finding.Event) {
	if t.IsZero() {
		return
	}
	i := r.index(t)
	if i < r.closed {
		r.late++
		return
	}
	if r.start < 0 || i < r.start {
		r.start = i
	}
	w := r.open[i]
	if w == nil {
		w = map[string]*cell{}
		r.open[i] = w
	}
	c := w[key]
	if c == nil {
		c = &cell{}
		w[key] = c
	}
	c.count += n
	if evidence != nil && len(c.events) < r.cfg.Evidence {
		c.events = append(c.events, evidence())
	}
}

// Seen marks log time without counting anything: warm-up is measured from
// the first window seen, and a detector that counts only some events (the
// failed ones) calls Seen for every event so that the warm-up starts with
// the log, not with the first counted event.
func (r *Rates) Seen(t time.Time) {
	if t.IsZero() {
		return
	}
	if i := r.index(t); i >= r.closed && (r.start < 0 || i < r.start) {
		r.start = i
	}
}

// Late is the number of events that arrived after their window closed.
func (r *Rates) Late() int64 { return r.late }

// Advance closes every window that ends at or before watermark, oldest
// first, calling spike for each key far above its baseline.
func (r *Rates) Advance(watermark time.Time, spike func(Spike)) {
	upto := r.index(watermark) // windows < upto end at or before watermark
	r.closeBefore(upto, spike)
}

// Flush closes every open window.
func (r *Rates) Flush(spike func(Spike)) { r.closeBefore(math.MaxInt64, spike) }

func (r *Rates) closeBefore(upto int64, spike func(Spike)) {
	if upto <= r.closed {
		return
	}
	for len(r.open) > 0 {
		oldest := int64(math.MaxInt64)
		for i := range r.open {
			oldest = min(oldest, i)
		}
		if oldest >= upto {
			break
		}
		r.closeWindow(oldest, r.open[oldest], spike)
		delete(r.open, oldest)
	}
	r.closed = upto
	r.trim()
}

func (r *Rates) closeWindow(i int64, w map[string]*cell, spike func(Spike)) {
	warm := time.Duration(i-r.start)*r.cfg.Window >= r.cfg.Warmup
	for key, c := range w {
		b := r.bases[key]
		if b != nil && b.partial && i != b.last+1 {
			b.partial = false // a gap: the first window decays like any other
		}
		isNew := b == nil || b.partial
		expected := 0.0
		if b != nil && !b.partial {
			// Windows between the last one seen and this one had no event.
			expected = b.ewma * math.Pow(1-r.cfg.Alpha, float64(i-b.last-1))
		}
		if warm && c.count >= r.cfg.Min && float64(c.count) > r.cfg.Factor*expected && spike != nil {
			spike(Spike{Key: key, Start: time.Unix(0, i*int64(r.cfg.Window)).UTC(), Window: r.cfg.Window,
				Count: c.count, Baseline: expected, New: isNew, Events: c.events})
		}
		switch {
		case b == nil:
			b = &base{partial: true}
			r.bases[key] = b
			b.ewma = float64(c.count)
		case b.partial:
			// The first full window replaces the partial one.
			b.partial = false
			b.ewma = float64(c.count)
		default:
			b.ewma = r.cfg.Alpha*float64(c.count) + (1-r.cfg.Alpha)*expected
		}
		b.last = i
	}
}

// trim forgets the least recently seen baselines beyond MaxKeys.
func (r *Rates) trim() {
	if len(r.bases) <= r.cfg.MaxKeys {
		return
	}
	// Drop those not seen for the longest: find the cut by halving the
	// age until enough go.
	newest := int64(math.MinInt64)
	for _, b := range r.bases {
		newest = max(newest, b.last)
	}
	for age := int64(1 << 20); len(r.bases) > r.cfg.MaxKeys*9/10 && age >= 1; age /= 2 {
		for k, b := range r.bases {
			if newest-b.last >= age {
				delete(r.bases, k)
			}
		}
	}
}

// Baseline is the key's current baseline, 0 when unknown.
func (r *Rates) Baseline(key string) float64 {
	if b := r.bases[key]; b != nil {
		return b.ewma
	}
	return 0
}

// Keys is the number of baselines remembered.
func (r *Rates) Keys() int { return len(r.bases) }

// State is what Rates carries from one run to the next: where the warm-up
// started, each key's baseline, which windows were closed, and the counts
// (with their evidence) of the windows still open, so that a restart in
// the middle of a window neither loses nor re-reports it.
type State struct {
	Window time.Duration        `json:"window"`
	Start  int64                `json:"start"`
	Bases  map[string]BaseState `json:"bases"`
	// Closed: windows with a smaller index had been closed (and judged).
	Closed *int64       `json:"closed,omitempty"`
	Open   []OpenWindow `json:"open,omitempty"`
}

// BaseState is one key's baseline and the last window folded into it;
// Partial when that window was the key's first (likely begun mid-window).
type BaseState struct {
	EWMA    float64 `json:"ewma"`
	Last    int64   `json:"last"`
	Partial bool    `json:"partial,omitempty"`
}

// OpenWindow is the counts of one window not yet closed.
type OpenWindow struct {
	Index int64                `json:"index"`
	Cells map[string]OpenCount `json:"cells"`
}

// OpenCount is one key's count in an open window and its first events.
type OpenCount struct {
	Count  int             `json:"count"`
	Events []finding.Event `json:"events,omitempty"`
}

// maxStateEvents bounds the evidence a State carries over; counts beyond
// it are kept without their events.
const maxStateEvents = 50000

// State returns what was learnt and counted so far.
func (r *Rates) State() State {
	s := State{Window: r.cfg.Window, Start: r.start, Bases: make(map[string]BaseState, len(r.bases))}
	for k, b := range r.bases {
		s.Bases[k] = BaseState{EWMA: b.ewma, Last: b.last, Partial: b.partial}
	}
	if r.closed != math.MinInt64 {
		closed := r.closed
		s.Closed = &closed
	}
	events := 0
	for i, w := range r.open {
		ow := OpenWindow{Index: i, Cells: make(map[string]OpenCount, len(w))}
		for k, c := range w {
			oc := OpenCount{Count: c.count}
			if events+len(c.events) <= maxStateEvents {
				oc.Events = c.events
				events += len(c.events)
			}
			ow.Cells[k] = oc
		}
		s.Open = append(s.Open, ow)
	}
	sort.Slice(s.Open, func(a, b int) bool { return s.Open[a].Index < s.Open[b].Index })
	return s
}

// Restore takes back what an earlier run with the same window length
// learnt and counted; with another length the baselines mean nothing and
// an error says so. Restore a fresh Rates, before counting: windows the
// earlier run had closed stay closed (their events are late), and the
// counts of its open windows are added to this run's.
func (r *Rates) Restore(s State) error {
	if s.Window != r.cfg.Window {
		return fmt.Errorf("baselines were learnt in windows of %v, not %v", s.Window, r.cfg.Window)
	}
	if s.Start >= 0 && (r.start < 0 || s.Start < r.start) {
		r.start = s.Start
	}
	for k, b := range s.Bases {
		if len(r.bases) >= r.cfg.MaxKeys {
			break
		}
		if math.IsNaN(b.EWMA) || math.IsInf(b.EWMA, 0) || b.EWMA < 0 {
			continue
		}
		r.bases[k] = &base{ewma: b.EWMA, last: b.Last, partial: b.Partial}
	}
	if s.Closed != nil && *s.Closed > r.closed && len(r.open) == 0 {
		r.closed = *s.Closed
	}
	for _, ow := range s.Open {
		if ow.Index < r.closed {
			continue
		}
		for k, oc := range ow.Cells {
			if oc.Count <= 0 {
				continue
			}
			if len(r.open[ow.Index]) >= r.cfg.MaxKeys {
				break
			}
			w := r.open[ow.Index]
			if w == nil {
				w = map[string]*cell{}
				r.open[ow.Index] = w
			}
			c := w[k]
			if c == nil {
				c = &cell{}
				w[k] = c
			}
			c.count += oc.Count
			for _, e := range oc.Events {
				if len(c.events) >= r.cfg.Evidence {
					break
				}
				c.events = append(c.events, e)
			}
		}
		if r.start < 0 || ow.Index < r.start {
			r.start = ow.Index
		}
	}
	return nil
}
