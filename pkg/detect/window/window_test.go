package window

import (
	"testing"
	"time"

	"github.com/kharden/kharden/pkg/finding"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// fill adds n events of key spread over the minute starting at m minutes.
func fill(r *Rates, key string, m, n int) {
	for i := range n {
		at := t0.Add(time.Duration(m)*time.Minute + time.Duration(i)*time.Minute/time.Duration(n+1))
		r.Add(key, at, func() finding.Event { return finding.Event{Time: at, Action: key} })
	}
}

func collect(r *Rates, upto time.Time) []Spike {
	var out []Spike
	r.Advance(upto, func(s Spike) { out = append(out, s) })
	return out
}

func TestSteadyKeyNeverSpikesButBurstDoes(t *testing.T) {
	r := New(Config{Window: time.Minute, Warmup: 10 * time.Minute, Min: 30, Factor: 5})
	for m := range 30 {
		fill(r, "controller", m, 1000) // steady and high: learnt
		n := 10
		if m == 20 {
			n = 200
		}
		fill(r, "user", m, n)
	}
	got := collect(r, t0.Add(30*time.Minute))
	if len(got) != 1 || got[0].Key != "user" || got[0].Count != 200 || !got[0].Start.Equal(t0.Add(20*time.Minute)) {
		t.Fatalf("spikes = %+v, want user at minute 20 only", got)
	}
	if s := got[0]; s.New || s.Baseline < 9 || s.Baseline > 11 || s.Ratio() < 18 || len(s.Events) != finding.MaxDetectionEvents {
		t.Errorf("spike = %+v", s)
	}
}

func TestWarmupOnlyLearns(t *testing.T) {
	r := New(Config{Window: time.Minute, Warmup: 10 * time.Minute, Min: 30, Factor: 5})
	fill(r, "a", 0, 1)
	fill(r, "burst", 5, 500) // new, but during the warm-up
	fill(r, "late", 12, 500) // new after it
	got := collect(r, t0.Add(time.Hour))
	if len(got) != 1 || got[0].Key != "late" || !got[0].New || got[0].Ratio() != 500 {
		t.Fatalf("spikes = %+v, want the new key after the warm-up", got)
	}
}

func TestMinHoldsSmallKeys(t *testing.T) {
	r := New(Config{Window: time.Minute, Min: 30, Factor: 5})
	fill(r, "small", 0, 1)
	fill(r, "small", 1, 29) // 29x, under Min
	fill(r, "big", 1, 30)
	got := collect(r, t0.Add(time.Hour))
	if len(got) != 1 || got[0].Key != "big" {
		t.Fatalf("spikes = %+v", got)
	}
}

func TestQuietWindowsDecayTheBaseline(t *testing.T) {
	r := New(Config{Window: time.Minute, Min: 10, Factor: 5})
	fill(r, "k", 0, 100)
	fill(r, "k", 30, 100) // after 29 empty windows the baseline is 100*0.9^29 ≈ 4.7
	got := collect(r, t0.Add(time.Hour))
	if len(got) != 2 || got[1].Baseline > 5 || got[1].New {
		t.Fatalf("spikes = %+v", got)
	}
}

func TestLateEventsAreCountedNotAdded(t *testing.T) {
	r := New(Config{Window: time.Minute, Min: 1, Factor: 1})
	fill(r, "k", 0, 5)
	collect(r, t0.Add(2*time.Minute))
	r.Add("k", t0.Add(30*time.Second), nil)
	r.Add("k", time.Time{}, nil) // no time: ignored
	if r.Late() != 1 {
		t.Errorf("late = %d, want 1", r.Late())
	}
	var got []Spike
	r.Flush(func(s Spike) { got = append(got, s) })
	if len(got) != 0 {
		t.Errorf("flush after a late event: %+v", got)
	}
}

func TestOutOfOrderWithinOpenWindows(t *testing.T) {
	r := New(Config{Window: time.Minute, Min: 10, Factor: 2})
	fill(r, "k", 1, 5)
	fill(r, "k", 0, 5) // earlier, still open: the first window moves back
	fill(r, "k", 2, 50)
	var got []Spike
	r.Flush(func(s Spike) { got = append(got, s) })
	if len(got) != 1 || !got[0].Start.Equal(t0.Add(2*time.Minute)) || got[0].Baseline != 5 {
		t.Fatalf("spikes = %+v", got)
	}
}

func TestAdvanceClosesOnlyEndedWindows(t *testing.T) {
	r := New(Config{Window: time.Minute, Min: 1, Factor: 1})
	fill(r, "k", 0, 3)
	if got := collect(r, t0.Add(59*time.Second)); len(got) != 0 {
		t.Fatalf("open window closed: %+v", got)
	}
	if got := collect(r, t0.Add(time.Minute)); len(got) != 1 || got[0].Count != 3 {
		t.Fatalf("spikes = %+v", got)
	}
	if r.Baseline("k") != 3 || r.Keys() != 1 {
		t.Errorf("baseline %v keys %d", r.Baseline("k"), r.Keys())
	}
}

func TestMaxKeysForgetsTheOldest(t *testing.T) {
	r := New(Config{Window: time.Minute, Min: 1000, Factor: 1, MaxKeys: 10})
	for m := range 20 {
		r.Add(string(rune('a'+m)), t0.Add(time.Duration(m)*time.Minute), nil)
		collect(r, t0.Add(time.Duration(m+1)*time.Minute))
	}
	if r.Keys() > 10 {
		t.Fatalf("%d keys remembered, want at most 10", r.Keys())
	}
	if r.Baseline("t") == 0 || r.Baseline("a") != 0 {
		t.Errorf("kept the wrong keys: t=%v a=%v", r.Baseline("t"), r.Baseline("a"))
	}
}

// A new key that starts late in a window is judged again, as new, in its
// first full window: its partial first window is no baseline.
func TestNewKeyPartialFirstWindow(t *testing.T) {
	r := New(Config{Window: time.Minute, Warmup: 10 * time.Minute, Min: 300, Factor: 10})
	fill(r, "normal", 0, 60)
	for m := 1; m < 20; m++ {
		fill(r, "normal", m, 60)
	}
	// The bot starts 50 seconds into minute 15: 60 requests there, 400 in
	// each of the next minutes.
	for i := range 60 {
		r.Add("bot", t0.Add(15*time.Minute+50*time.Second+time.Duration(i)*150*time.Millisecond), nil)
	}
	fill(r, "bot", 16, 400)
	fill(r, "bot", 17, 400)
	got := collect(r, t0.Add(20*time.Minute))
	if len(got) != 1 || got[0].Key != "bot" || !got[0].New || got[0].Baseline != 0 || !got[0].Start.Equal(t0.Add(16*time.Minute)) {
		t.Fatalf("spikes = %+v, want bot new at minute 16", got)
	}
	if b := r.Baseline("bot"); b != 400 {
		t.Errorf("baseline after the full windows = %v, want 400", b)
	}
}

// Seen starts the warm-up with the log even when the first counted event
// comes later.
func TestSeenStartsTheWarmup(t *testing.T) {
	for _, seen := range []bool{false, true} {
		r := New(Config{Window: time.Minute, Warmup: 10 * time.Minute, Min: 30, Factor: 5})
		if seen {
			r.Seen(t0)
			r.Seen(time.Time{})
		}
		fill(r, "failures", 15, 100)
		if got := collect(r, t0.Add(time.Hour)); (len(got) == 1) != seen {
			t.Errorf("seen=%v: spikes = %+v", seen, got)
		}
	}
}

// A restart in the middle of a burst: the state carries the open window's
// count and evidence, the restored Rates adds the rest and reports one
// spike of the whole count; the window closed before the restart stays
// closed (its stragglers are late, it is not judged twice).
func TestStateCarriesOpenWindows(t *testing.T) {
	cfg := Config{Window: time.Minute, Warmup: 5 * time.Minute, Min: 30, Factor: 5}
	first := New(cfg)
	for m := range 10 {
		fill(first, "user", m, 10)
	}
	fill(first, "user", 10, 100) // half the burst of minute 10
	if got := collect(first, t0.Add(10*time.Minute)); len(got) != 0 {
		t.Fatalf("spikes before the burst: %+v", got)
	}
	st := first.State()
	if st.Closed == nil || len(st.Open) != 1 || st.Open[0].Cells["user"].Count != 100 {
		t.Fatalf("state = closed %v open %+v", st.Closed, st.Open)
	}

	second := New(cfg)
	if err := second.Restore(st); err != nil {
		t.Fatal(err)
	}
	second.Add("user", t0.Add(9*time.Minute), nil) // a closed window's straggler
	if second.Late() != 1 {
		t.Errorf("late = %d, want 1", second.Late())
	}
	for i := range 100 {
		second.Add("user", t0.Add(10*time.Minute+30*time.Second+time.Duration(i)*100*time.Millisecond), nil)
	}
	got := collect(second, t0.Add(11*time.Minute))
	if len(got) != 1 || got[0].Count != 200 || !got[0].Start.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("spikes = %+v, want one of 200 at minute 10", got)
	}
	if len(got[0].Events) != finding.MaxDetectionEvents || got[0].Events[0].Action != "user" {
		t.Errorf("the evidence counted before the restart is lost: %+v", got[0].Events)
	}
	if got[0].Baseline < 9 || got[0].Baseline > 11 {
		t.Errorf("baseline %v, want about 10", got[0].Baseline)
	}
}
