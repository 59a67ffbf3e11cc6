package dns

import (
	"fmt"
	"hash/maphash"
	"math"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
)

// Thresholds of dns-random-domains besides detect.dns.uniqueSubdomains.
const (
	// txtMin TXT queries for long random-looking names under one domain
	// in one window are tunnelling even below uniqueSubdomains.
	txtMin = 10
	// txtLongName is the length of the part left of the registered domain
	// that makes a TXT query long.
	txtLongName = 20
	// dgaMin distinct random-looking registered domains in one window, most
	// of them NXDOMAIN, are a domain generation algorithm.
	dgaMin = 10
	// maxStates bounds the (client, domain) pairs of open windows.
	maxStates = 100000
)

// dgaDomain is the pseudo-domain the DGA verdict is kept under.
const dgaDomain = "(random registered domains)"

// pairState is what one client asked under one registered domain in one
// window.
type pairState struct {
	c        *client
	domain   string
	win      int64
	queries  int
	random   int // queries whose name looks random
	txtLong  int
	nx       int
	uniq     map[uint64]struct{}
	events   []finding.Event
	first    time.Time
	nonEmpty bool
}

// randomDetector judges per (client, registered domain, window): many
// unique random-looking subdomains (tunnelling, exfiltration, miner pools
// speaking over DNS), long random TXT queries, and per client many
// random-looking registered domains answered NXDOMAIN (a DGA). Names under
// the ignored suffixes are never judged. Queries without a time are judged
// together as one window, at the end.
type randomDetector struct {
	s       *config.DetectSettings
	dom     *domains
	rep     *reporter
	seed    maphash.Seed
	pairs   map[*client]map[string]*pairState
	byWin   map[int64][]*pairState
	dropped int64
	states  int
	uniqCap int
}

const untimedWindow = math.MinInt64

func newRandomDomains(s *config.DetectSettings, dom *domains, rep *reporter) *randomDetector {
	return &randomDetector{s: s, dom: dom, rep: rep, seed: maphash.MakeSeed(),
		pairs: map[*client]map[string]*pairState{}, byWin: map[int64][]*pairState{},
		uniqCap: max(s.DNSUniqueSubdomains, dgaMin) * 2}
}

func (d *randomDetector) observe(rec *Record, c *client) {
	if d.dom.ignored(rec.Name) != "" {
		return
	}
	reg, sub, ok := d.dom.split(rec.Name)
	if !ok {
		return
	}
	win := int64(untimedWindow)
	if !rec.Time.IsZero() {
		win = rec.Time.UnixNano() / int64(d.s.Window)
	}
	nx := rec.Rcode == "NXDOMAIN"
	if len(sub) == 0 {
		// A registered domain asked for itself: a DGA candidate when its
		// own label looks random.
		label := reg
		if i := indexByte(label, '.'); i > 0 {
			label = label[:i]
		}
		if randomLabel(label) {
			st := d.state(c, dgaDomain, nil, win)
			if st != nil {
				d.count(st, rec, c, reg, true, nx, false)
			}
		}
		return
	}
	st := d.state(c, "", reg, win)
	if st == nil {
		return
	}
	random := randomName(sub)
	txtLong := random && rec.Type == "TXT" && len(sub) >= txtLongName
	d.count(st, rec, c, sub, random, nx, txtLong)
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func (d *randomDetector) count(st *pairState, rec *Record, c *client, name []byte, random, nx, txtLong bool) {
	st.queries++
	if random {
		st.random++
	}
	if nx {
		st.nx++
	}
	if txtLong {
		st.txtLong++
	}
	if len(st.uniq) < d.uniqCap {
		st.uniq[maphash.Bytes(d.seed, name)] = struct{}{}
	}
	if random && len(st.events) < finding.MaxDetectionEvents {
		st.events = append(st.events, evidence(rec, c))
	}
	if st.first.IsZero() {
		st.first = rec.Time
	}
}

// state finds or opens the pair's state for window win; a state of an
// older window still open takes late records of its pair.
func (d *randomDetector) state(c *client, fixed string, reg []byte, win int64) *pairState {
	m := d.pairs[c]
	if m == nil {
		m = map[string]*pairState{}
		d.pairs[c] = m
	}
	var st *pairState
	if fixed != "" {
		st = m[fixed]
	} else {
		st = m[string(reg)]
	}
	if st != nil {
		if st.win == win || win < st.win {
			return st
		}
		d.close(st) // a newer window starts for the pair
	} else {
		if d.states >= maxStates {
			d.dropped++
			return nil
		}
		dom := fixed
		if dom == "" {
			dom = string(reg)
		}
		st = &pairState{c: c, domain: dom}
		m[dom] = st
		d.states++
	}
	st.win, st.nonEmpty = win, true
	st.queries, st.random, st.txtLong, st.nx = 0, 0, 0, 0
	st.uniq = make(map[uint64]struct{}, 8)
	st.events, st.first = nil, time.Time{}
	d.byWin[win] = append(d.byWin[win], st)
	return st
}

func (d *randomDetector) advance(wm time.Time) {
	upto := wm.UnixNano() / int64(d.s.Window)
	for w, list := range d.byWin {
		if w >= upto || w == untimedWindow {
			continue
		}
		for _, st := range list {
			if st.win == w && st.nonEmpty {
				d.close(st)
				d.forget(st)
			}
		}
		delete(d.byWin, w)
	}
}

func (d *randomDetector) flush() {
	for w, list := range d.byWin {
		for _, st := range list {
			if st.win == w && st.nonEmpty {
				d.close(st)
				d.forget(st)
			}
		}
	}
	clear(d.byWin)
}

func (d *randomDetector) forget(st *pairState) {
	if m := d.pairs[st.c]; m != nil {
		delete(m, st.domain)
		d.states--
		if len(m) == 0 {
			delete(d.pairs, st.c)
		}
	}
}

// close judges a pair's window.
func (d *randomDetector) close(st *pairState) {
	st.nonEmpty = false
	uniq := len(st.uniq)
	span := "in " + shortDuration(d.s.Window)
	if st.win == untimedWindow {
		span = "in lines without a time"
	}
	var msg string
	var score float64
	switch {
	case st.domain == dgaDomain:
		if uniq < dgaMin || 2*st.nx < st.queries {
			return
		}
		msg = fmt.Sprintf("%s asked for %s random-looking domains %s, %s of them answered NXDOMAIN: a domain generation algorithm.",
			st.c.who(), thousands(int64(uniq)), span, thousands(int64(st.nx)))
		score = float64(uniq)
	case uniq >= d.s.DNSUniqueSubdomains && 2*st.random >= st.queries:
		msg = fmt.Sprintf("%s asked for %s%s unique names under %s %s, %s of %s random-looking%s: tunnelling or a beacon.",
			st.c.who(), atLeast(uniq, d.uniqCap), thousands(int64(uniq)), st.domain, span, thousands(int64(st.random)),
			thousands(int64(st.queries)), txtNote(st.txtLong))
		score = float64(uniq)
	case st.txtLong >= txtMin && uniq >= txtMin:
		msg = fmt.Sprintf("%s made %s TXT queries for long random-looking names under %s %s: tunnelling.",
			st.c.who(), thousands(int64(st.txtLong)), st.domain, span)
		score = float64(st.txtLong)
	default:
		return
	}
	d.rep.report(hit{rule: checks.RuleDNSRandomDomains, client: st.c, message: msg, events: st.events,
		count: st.queries, at: st.first, score: score})
}

func atLeast(n, limit int) string {
	if n >= limit {
		return "at least "
	}
	return ""
}

func txtNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (%s long TXT queries)", thousands(int64(n)))
}
