package dns

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kharden/kharden/pkg/finding"
)

// MaxLineBytes bounds one line; longer ones are skipped and counted, never
// buffered whole.
const MaxLineBytes = 64 << 10

// MaxProblems bounds the problems kept as examples; all are counted.
const MaxProblems = 20

// Stats counts what decoders read and what they could not use.
type Stats struct {
	Lines   int64 `json:"lines"`
	Queries int64 `json:"queries"`
	// Other lines are CoreDNS output that is not a query (plugin messages).
	Other     int64 `json:"other"`
	Malformed int64 `json:"malformed"`
	Partial   int64 `json:"partial"`
	Oversized int64 `json:"oversized"`
	// Inherited queries carry no time of their own and were given the
	// time of the previous timed line of their input; Untimed ones came
	// before any timed line and have no time at all.
	Inherited int64 `json:"inherited"`
	Untimed   int64 `json:"untimed"`
	// Corrupt counts inputs that ended in a read or decompression error.
	Corrupt  int64     `json:"corrupt"`
	Problems []Problem `json:"problems,omitempty"`
}

// Problem is one unusable line or input.
type Problem struct {
	Source  finding.Source `json:"source"`
	Message string         `json:"message"`
	// Fatal problems are inputs that could not be read to the end.
	Fatal bool `json:"fatal,omitempty"`
}

func (p Problem) Error() string {
	if p.Source.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.Source.File, p.Source.Line, p.Message)
	}
	return p.Source.File + ": " + p.Message
}

// Skipped is the number of lines not used.
func (s *Stats) Skipped() int64 { return s.Other + s.Malformed + s.Partial + s.Oversized }

// Add accumulates o into s, keeping the first problems.
func (s *Stats) Add(o *Stats) {
	s.Lines += o.Lines
	s.Queries += o.Queries
	s.Other += o.Other
	s.Malformed += o.Malformed
	s.Partial += o.Partial
	s.Oversized += o.Oversized
	s.Inherited += o.Inherited
	s.Untimed += o.Untimed
	s.Corrupt += o.Corrupt
	for _, p := range o.Problems {
		if len(s.Problems) < MaxProblems || p.Fatal {
			s.Problems = append(s.Problems, p)
		}
	}
}

// Decoder reads query records from one input: plain or gzip-compressed
// lines, in any mix of the formats Parser knows.
type Decoder struct {
	name   string
	br     *bufio.Reader
	closer io.Closer
	parser *Parser
	line   int
	last   Record // the time of the last timed line
	stats  Stats
	done   bool
}

// NewDecoder reads r, named name in problems; gzip input is detected by
// its magic bytes.
func NewDecoder(r io.Reader, name string) *Decoder {
	d := &Decoder{name: name, parser: NewParser()}
	br := bufio.NewReaderSize(r, MaxLineBytes)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			d.fatal(fmt.Sprintf("gzip: %v", err))
			d.done = true
			return d
		}
		d.closer = zr
		br = bufio.NewReaderSize(zr, MaxLineBytes)
	}
	d.br = br
	return d
}

// Stats returns what the decoder has read so far.
func (d *Decoder) Stats() *Stats { return &d.stats }

func (d *Decoder) problem(msg string) {
	if len(d.stats.Problems) < MaxProblems {
		d.stats.Problems = append(d.stats.Problems, Problem{Source: finding.Source{File: d.name, Line: d.line}, Message: msg})
	}
}

func (d *Decoder) fatal(msg string) {
	d.stats.Corrupt++
	d.stats.Problems = append(d.stats.Problems, Problem{Source: finding.Source{File: d.name, Line: d.line}, Message: msg, Fatal: true})
}

// Next reads the next query into rec; false at the end of the input (a
// read error is recorded as a fatal problem).
func (d *Decoder) Next(rec *Record) bool {
	for !d.done {
		line, err := d.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			d.line++
			d.stats.Lines++
			d.stats.Oversized++
			d.problem(fmt.Sprintf("line longer than %d bytes skipped", MaxLineBytes))
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = d.br.ReadSlice('\n')
			}
			if err != nil {
				d.end(err)
			}
			continue
		}
		if err != nil {
			d.end(err)
			if len(line) == 0 {
				return false
			}
		}
		d.line++
		d.stats.Lines++
		if len(line) <= 1 && (len(line) == 0 || line[0] == '\n') {
			continue // blank lines are not worth a word
		}
		if perr := d.parser.Parse(line, rec); perr != nil {
			switch perr {
			case ErrNotQuery:
				d.stats.Other++
				continue // CoreDNS's own messages are expected; not a problem
			case ErrPartial:
				d.stats.Partial++
			default:
				d.stats.Malformed++
			}
			d.problem(perr.Error())
			continue
		}
		rec.Source = finding.Source{File: d.name, Line: d.line}
		d.stats.Queries++
		if rec.Time.IsZero() {
			if !d.last.Time.IsZero() {
				rec.Time, rec.Inherited = d.last.Time, true
				d.stats.Inherited++
			} else {
				d.stats.Untimed++
			}
		} else {
			d.last.Time = rec.Time
		}
		return true
	}
	return false
}

func (d *Decoder) end(err error) {
	d.done = true
	if d.closer != nil {
		d.closer.Close()
	}
	if err != io.EOF {
		d.fatal(fmt.Sprintf("read: %v", err))
	}
}

// FirstRecordTime is the time of a file's first timed query among its
// first thousand lines; zero when there is none or it cannot be read.
func FirstRecordTime(path string) time.Time {
	f, err := os.Open(path)
	if err != nil {
		return time.Time{}
	}
	defer f.Close()
	d := NewDecoder(f, path)
	var rec Record
	for k := 0; k < 1000 && d.Next(&rec); k++ {
		if !rec.Time.IsZero() && !rec.Inherited {
			return rec.Time
		}
	}
	return time.Time{}
}
