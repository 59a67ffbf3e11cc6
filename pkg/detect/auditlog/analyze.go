package auditlog

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kharden/kharden/pkg/detect/logfiles"
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

// Analyze runs the detectors over audit logs: files (plain or gzip),
// directories of them (rotated logs), or "-" for stdin. Inputs are read in
// the order of their first event's time, so rotated files may be given in
// any order.
func Analyze(inputs []string, stdin io.Reader, opts Options) (*Result, error) {
	eng, err := New(opts)
	if err != nil {
		return nil, err
	}
	files, errs := logfiles.Expand(inputs)
	res := &Result{Inputs: files}
	for _, e := range errs {
		res.Errors = append(res.Errors, e)
	}
	for _, in := range logfiles.OrderByFirst(files, firstEventTime) {
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
			var pe *os.PathError
			if errors.As(err, &pe) {
				return fmt.Errorf("%s: cannot open: %w", name, pe.Err)
			}
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

// firstEventTime is the time of a file's first timed event among its
// first hundred records; zero when there is none or it cannot be read.
func firstEventTime(name string) time.Time {
	f, err := os.Open(name)
	if err != nil {
		return time.Time{}
	}
	defer f.Close()
	d := NewDecoder(f, name)
	var ev Event
	for k := 0; k < 100 && d.Next(&ev) == nil; k++ {
		if !ev.Time.IsZero() {
			return ev.Time
		}
	}
	return time.Time{}
}

// Exceeds reports whether an unsuppressed finding is at or above sev.
func (r *Result) Exceeds(sev finding.Severity) bool { return finding.Exceeds(r.Findings, sev) }
