package auditlog

import (
	"bytes"
	"errors"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// feed decodes events into an engine without closing it.
func feed(t *testing.T, eng *Engine, es []E) {
	t.Helper()
	d := NewDecoder(bytes.NewReader(Lines(es...)), "audit.log")
	var ev Event
	for {
		err := d.Next(&ev)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		eng.Observe(&ev)
	}
}

func ruleObjects(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, string(f.Rule)+" "+f.Object.String())
	}
	sort.Strings(out)
	return out
}

// A restart at minute 15 of the bots log, between the warm-up and the
// attack: with the saved state the second engine catches the bots exactly
// as one engine over the whole log does; without it, its new warm-up
// swallows the attack.
func TestStateCarriesBaselinesAcrossRestarts(t *testing.T) {
	rules := []finding.RuleID{checks.RuleAuditAuthFailureSpike, checks.RuleAuditRequestRateAnomaly}
	all := identBotsLog()
	before, after := splitAt(all, 15*time.Minute)
	whole := analyze(t, nil, all, rules...)
	if len(whole) == 0 {
		t.Fatal("the bots log gives no rate finding: the test would prove nothing")
	}

	first, err := New(Options{Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	feed(t, first, before)
	var saved bytes.Buffer
	if err := first.SaveState(&saved, t0); err != nil {
		t.Fatal(err)
	}
	second, _ := New(Options{Rules: rules})
	if err := second.LoadState(bytes.NewReader(saved.Bytes())); err != nil {
		t.Fatal(err)
	}
	feed(t, second, after)
	second.Close()
	if got, want := ruleObjects(second.Findings()), ruleObjects(whole); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("after a restart with the state:\n%v\nwant (one run):\n%v", got, want)
	}

	fresh, _ := New(Options{Rules: rules})
	feed(t, fresh, after)
	fresh.Close()
	if len(fresh.Findings()) != 0 {
		t.Errorf("without the state the new warm-up should hide the attack, got %v", ruleObjects(fresh.Findings()))
	}
}

func TestLoadStateBadInput(t *testing.T) {
	eng, _ := New(Options{})
	for _, in := range []string{"", "{", `{"version": 9}`} {
		if err := eng.LoadState(strings.NewReader(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
	// A window length that changed since: that detector starts afresh,
	// named in the error.
	var saved bytes.Buffer
	eng.SaveState(&saved, t0)
	other, _ := New(Options{Config: mustConfig(t, "detect:\n  window: 5m\n")})
	if err := other.LoadState(&saved); err == nil || !strings.Contains(err.Error(), string(checks.RuleAuditAuthFailureSpike)) {
		t.Errorf("window change: %v", err)
	}
}

// A restart in the middle of a window, anywhere in the attack: what the
// first engine reported and what the second one reports after taking its
// state back add up to one run over the whole log, counts and times
// included (the open windows' counts travel in the state; the windows the
// first engine closed are not reported twice).
func TestRestartMidWindowLosesNoCount(t *testing.T) {
	rules := []finding.RuleID{checks.RuleAuditAuthFailureSpike, checks.RuleAuditRequestRateAnomaly}
	all := identBotsLog()
	type key struct{ rule, object string }
	type agg struct {
		count       int
		first, last time.Time
	}
	sum := func(into map[key]agg, fs []finding.Finding) {
		for _, f := range fs {
			k := key{string(f.Rule), f.Object.String()}
			a, d := into[k], f.Detection
			a.count += d.Count
			if a.first.IsZero() || d.First.Before(a.first) {
				a.first = d.First
			}
			if d.Last.After(a.last) {
				a.last = d.Last
			}
			into[k] = a
		}
	}
	whole := map[key]agg{}
	sum(whole, analyze(t, nil, all, rules...))
	if len(whole) == 0 {
		t.Fatal("the bots log gives no rate finding: the test would prove nothing")
	}
	for _, at := range []time.Duration{18*time.Minute + 30*time.Second, 19*time.Minute + 45*time.Second,
		21*time.Minute + 10*time.Second, 22*time.Minute + 50*time.Second, 24*time.Minute + 20*time.Second} {
		before, after := splitAt(all, at)
		first, _ := New(Options{Rules: rules})
		feed(t, first, before)
		var saved bytes.Buffer
		if err := first.SaveState(&saved, t0); err != nil {
			t.Fatal(err)
		}
		second, _ := New(Options{Rules: rules})
		if err := second.LoadState(&saved); err != nil {
			t.Fatal(err)
		}
		feed(t, second, after)
		second.Close()
		got := map[key]agg{}
		sum(got, first.Findings())
		sum(got, second.Findings())
		for k, w := range whole {
			if g := got[k]; g != w {
				t.Errorf("restart at %v: %s %s: count %d %v..%v, want %d %v..%v", at, k.rule, k.object,
					g.count, g.first.Format(time.TimeOnly), g.last.Format(time.TimeOnly), w.count, w.first.Format(time.TimeOnly), w.last.Format(time.TimeOnly))
			}
		}
		if len(got) != len(whole) {
			t.Errorf("restart at %v: %d findings, want %d", at, len(got), len(whole))
		}
	}
}
