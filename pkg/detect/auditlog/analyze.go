package auditlog

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/kharden/kharden/pkg/finding"
)

// Result is what Analyze read and found.
type Result struct {
	Inputs   []string
	Findings []finding.Finding
	// Decode counts records per input kind of problem, over every input.
	Decode Stats
	Engine EngineStats
	// Errors are inputs that could not be opened or broke off; the events
	// before a break were analysed.
	Errors []error
}

// Analyze runs the detectors over audit logs: files (plain or gzip), or
// "-" for stdin. Inputs are read in the order of their first event's time,
// so rotated files may be given in any order.
func Analyze(inputs []string, stdin io.Reader, opts Options) (*Result, error) {
	eng, err := New(opts)
	if err != nil {
		return nil, err
	}
	res := &Result{Inputs: inputs}
	for _, in := range orderByFirstEvent(inputs) {
		if err := analyzeOne(in, stdin, eng, res); err != nil {
			res.Errors = append(res.Errors, err)
		}
	}
	eng.Close()
	res.Findings = eng.Findings()
	res.Engine = eng.Stats()
	return res, nil
}

func analyzeOne(name string, stdin io.Reader, eng *Engine, res *Result) error {
	var r io.Reader
	if name == "-" {
		r = stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	d := NewDecoder(r, name)
	var ev Event
	var broke error
	for {
		err := d.Next(&ev)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			broke = fmt.Errorf("%s: %w (the %d events before it were analysed)", name, err, d.Stats().Events)
			break
		}
		eng.Observe(&ev)
	}
	res.Decode.Add(d.Stats())
	return broke
}

// orderByFirstEvent sorts files by the time of their first event (stdin
// stays where it is given; unreadable files keep their place for the error).
func orderByFirstEvent(inputs []string) []string {
	type in struct {
		name  string
		first time.Time
	}
	ins := make([]in, len(inputs))
	for i, name := range inputs {
		ins[i] = in{name: name}
		if name == "-" {
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		d := NewDecoder(f, name)
		var ev Event
		for k := 0; k < 100 && d.Next(&ev) == nil; k++ {
			if !ev.Time.IsZero() {
				ins[i].first = ev.Time
				break
			}
		}
		f.Close()
	}
	// Timed inputs by their first event; the others (stdin, unreadable or
	// empty files) after them, in the order given.
	sort.SliceStable(ins, func(a, b int) bool {
		x, y := ins[a], ins[b]
		if x.first.IsZero() != y.first.IsZero() {
			return !x.first.IsZero()
		}
		return x.first.Before(y.first)
	})
	out := make([]string, len(ins))
	for i, x := range ins {
		out[i] = x.name
	}
	return out
}

// Exceeds reports whether an unsuppressed finding is at or above sev.
func (r *Result) Exceeds(sev finding.Severity) bool { return finding.Exceeds(r.Findings, sev) }
