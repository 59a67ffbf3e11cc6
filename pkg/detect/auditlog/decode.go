package auditlog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/valyala/fastjson"

	"github.com/kharden/kharden/pkg/finding"
)

// DefaultMaxEventBytes bounds one event (one line, or one item of a list):
// larger ones are skipped and counted, never buffered whole.
const DefaultMaxEventBytes = 16 << 20

// MaxProblems bounds the problems a decoder keeps as examples; all of them
// are counted.
const MaxProblems = 20

// Stats counts what a decoder read and what it could not use.
type Stats struct {
	Events int64 `json:"events"`
	Lines  int64 `json:"lines"`
	// Malformed records are truncated or not JSON.
	Malformed int64 `json:"malformed"`
	// UnknownVersion records are audit events of an apiVersion other than
	// audit.k8s.io/v1 or v1beta1.
	UnknownVersion int64 `json:"unknownVersion"`
	// NotEvent records are JSON but not an audit Event or EventList.
	NotEvent int64 `json:"notEvent"`
	// Oversized records exceed the size limit.
	Oversized int64 `json:"oversized"`
	// NoTimestamp events carry neither requestReceivedTimestamp nor
	// stageTimestamp; rate detectors cannot place them.
	NoTimestamp int64 `json:"noTimestamp"`
	// Corrupt is set when an input ended in a read or decompression error.
	Corrupt int64 `json:"corrupt"`
	// Problems are the first MaxProblems, with file and line.
	Problems []Problem `json:"problems,omitempty"`
}

// Problem is one unreadable record or input.
type Problem struct {
	Source  finding.Source `json:"source"`
	Message string         `json:"message"`
}

func (p Problem) Error() string {
	if p.Source.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.Source.File, p.Source.Line, p.Message)
	}
	return p.Source.File + ": " + p.Message
}

// Skipped is the number of records not used.
func (s *Stats) Skipped() int64 {
	return s.Malformed + s.UnknownVersion + s.NotEvent + s.Oversized
}

// Add accumulates o into s, keeping the first problems.
func (s *Stats) Add(o *Stats) {
	s.Events += o.Events
	s.Lines += o.Lines
	s.Malformed += o.Malformed
	s.UnknownVersion += o.UnknownVersion
	s.NotEvent += o.NotEvent
	s.Oversized += o.Oversized
	s.NoTimestamp += o.NoTimestamp
	s.Corrupt += o.Corrupt
	for _, p := range o.Problems {
		if len(s.Problems) < MaxProblems {
			s.Problems = append(s.Problems, p)
		}
	}
}

func (s *Stats) problem(file string, line int64, format string, args ...any) {
	if len(s.Problems) < MaxProblems {
		s.Problems = append(s.Problems, Problem{Source: finding.Source{File: file, Line: int(line)}, Message: fmt.Sprintf(format, args...)})
	}
}

// Decoder reads audit events from one input: JSON lines as the log backend
// writes them (gzip-compressed or not, detected by the content), EventList
// bodies as the webhook backend posts them, on one line or pretty-printed.
// Unknown fields are ignored. Memory stays bounded by the largest event.
type Decoder struct {
	name     string
	br       *bufio.Reader
	line     int64
	maxEvent int
	parser   fastjson.Parser
	buf      []byte
	strs     interner
	stats    Stats
	err      error // the input's terminal error, reported once

	// items of the EventList being read (one-line mode), and the line it
	// came from.
	items    []*fastjson.Value
	itemLine int64

	// stream reads pretty-printed (multi-line) input.
	stream *streamReader
}

// NewDecoder reads r, named name in problems ("-" for stdin).
func NewDecoder(r io.Reader, name string) *Decoder {
	d := &Decoder{name: name, maxEvent: DefaultMaxEventBytes}
	br := bufio.NewReaderSize(r, 1<<20)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			d.err = fmt.Errorf("gzip: %w", err)
		} else {
			br = bufio.NewReaderSize(zr, 1<<20)
		}
	}
	d.br = br
	return d
}

// SetMaxEventBytes changes the size limit of one event.
func (d *Decoder) SetMaxEventBytes(n int) { d.maxEvent = n }

// Stats returns what was read so far.
func (d *Decoder) Stats() *Stats { return &d.stats }

// Next decodes the next event into ev, skipping (and counting) what cannot
// be used. It returns io.EOF at the end of the input; other errors mean the
// input broke off (a corrupt gzip stream, a read error) and are also
// recorded as a problem: the events before it were delivered.
func (d *Decoder) Next(ev *Event) error {
	for {
		if len(d.items) > 0 {
			item := d.items[0]
			d.items = d.items[1:]
			if d.fromValue(item, ev, d.itemLine) {
				return nil
			}
			continue
		}
		if d.stream != nil {
			raw, line, err := d.stream.next()
			if err != nil {
				return d.fail(err)
			}
			v, perr := d.parser.ParseBytes(raw)
			if perr != nil {
				d.stats.Malformed++
				d.stats.problem(d.name, line, "not JSON: %v", perr)
				continue
			}
			if d.fromValue(v, ev, line) {
				return nil
			}
			continue
		}
		if d.err != nil {
			return d.fail(d.err)
		}
		rec, err := d.readLine()
		if err != nil {
			d.err = err
			if len(rec) == 0 {
				continue
			}
		}
		rec = bytes.TrimSpace(rec)
		if len(rec) == 0 {
			continue
		}
		if d.line == 1 || d.stats.Lines == 0 {
			// A first record that does not close on its line is
			// pretty-printed JSON: read the rest as a stream of values.
			if rec[0] == '{' || rec[0] == '[' {
				if !balanced(rec) {
					d.stream = newStreamReader(d.name, rec, d.br, d.line, d.maxEvent, d.err)
					d.err = nil
					continue
				}
			}
		}
		d.stats.Lines++
		v, perr := d.parser.ParseBytes(rec)
		if perr != nil {
			d.stats.Malformed++
			d.stats.problem(d.name, d.line, "not JSON (truncated or corrupt line): %s", shortErr(perr))
			continue
		}
		if d.fromValue(v, ev, d.line) {
			return nil
		}
	}
}

// fail records a terminal error once and turns it into io.EOF or the
// error the caller sees.
func (d *Decoder) fail(err error) error {
	if errors.Is(err, io.EOF) {
		return io.EOF
	}
	if d.err != errDone {
		d.stats.Corrupt++
		d.stats.problem(d.name, d.line, "input ends early: %v (events before it were read)", err)
		d.err = errDone
		return err
	}
	return io.EOF
}

var errDone = errors.New("done")

// readLine returns the next line without its newline, bounded by maxEvent:
// a longer line is skipped (counted as oversized) and an empty record
// returned in its place.
func (d *Decoder) readLine() ([]byte, error) {
	d.line++
	d.buf = d.buf[:0]
	oversized := false
	for {
		chunk, err := d.br.ReadSlice('\n')
		if !oversized {
			if len(d.buf)+len(chunk) > d.maxEvent {
				oversized = true
				d.buf = d.buf[:0]
			} else if err == nil && len(d.buf) == 0 {
				// The common case: the whole line is in the reader's buffer.
				return chunk, nil
			} else {
				d.buf = append(d.buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if oversized {
			d.stats.Lines++
			d.stats.Oversized++
			d.stats.problem(d.name, d.line, "record larger than %d bytes skipped", d.maxEvent)
			return nil, err
		}
		if err != nil && len(d.buf) > 0 && errors.Is(err, io.EOF) {
			// A last line without a newline is still a line.
			return d.buf, io.EOF
		}
		return d.buf, err
	}
}

func shortErr(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}

// fromValue fills ev from an Event value, or queues the items of an
// EventList; false when v gave no event.
func (d *Decoder) fromValue(v *fastjson.Value, ev *Event, line int64) bool {
	if v.Type() != fastjson.TypeObject {
		d.stats.NotEvent++
		d.stats.problem(d.name, line, "not an audit event: a JSON %s", v.Type())
		return false
	}
	kind := v.GetStringBytes("kind")
	apiVersion := v.GetStringBytes("apiVersion")
	switch string(kind) {
	case "EventList":
		if !knownVersion(apiVersion) {
			d.stats.UnknownVersion++
			d.stats.problem(d.name, line, "EventList of unknown apiVersion %q skipped", clip(apiVersion))
			return false
		}
		items := v.GetArray("items")
		if len(items) == 0 {
			return false
		}
		d.items = append(d.items[:0], items...)
		d.itemLine = line
		return false
	case "Event", "":
		if len(kind) == 0 && v.Get("auditID") == nil {
			d.stats.NotEvent++
			d.stats.problem(d.name, line, "not an audit event (no kind, no auditID)")
			return false
		}
		if len(apiVersion) > 0 && !knownVersion(apiVersion) {
			d.stats.UnknownVersion++
			d.stats.problem(d.name, line, "audit event of unknown apiVersion %q skipped", clip(apiVersion))
			return false
		}
	default:
		d.stats.NotEvent++
		d.stats.problem(d.name, line, "not an audit event: kind %q", clip(kind))
		return false
	}
	d.fill(v, ev, line)
	d.stats.Events++
	if ev.Time.IsZero() {
		d.stats.NoTimestamp++
	}
	return true
}

func knownVersion(v []byte) bool {
	s := string(v)
	return s == "audit.k8s.io/v1" || s == "audit.k8s.io/v1beta1"
}

func clip(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "..."
	}
	return string(b)
}

// fill copies the fields detectors read. Strings that repeat (verbs, user
// names, resources, addresses) are interned.
func (d *Decoder) fill(v *fastjson.Value, ev *Event, line int64) {
	s := &d.strs
	*ev = Event{
		AuditID:    string(v.GetStringBytes("auditID")),
		Stage:      s.get(v.GetStringBytes("stage")),
		Level:      s.get(v.GetStringBytes("level")),
		Verb:       s.get(v.GetStringBytes("verb")),
		RequestURI: string(v.GetStringBytes("requestURI")),
		UserAgent:  s.get(v.GetStringBytes("userAgent")),
		Source:     finding.Source{File: d.name, Line: int(line)},
	}
	if u := v.Get("user"); u != nil {
		ev.User = d.user(u)
	}
	if u := v.Get("impersonatedUser"); u != nil && u.Type() == fastjson.TypeObject {
		ev.imp = d.user(u)
		ev.Impersonated = &ev.imp
	}
	if ips := v.GetArray("sourceIPs"); len(ips) > 0 {
		ev.SourceIPs = make([]string, 0, len(ips))
		for _, ip := range ips {
			ev.SourceIPs = append(ev.SourceIPs, s.get(ip.GetStringBytes()))
		}
	}
	if o := v.Get("objectRef"); o != nil && o.Type() == fastjson.TypeObject {
		ev.HasObject = true
		ev.Object = ObjectRef{
			Resource:    s.get(o.GetStringBytes("resource")),
			Subresource: s.get(o.GetStringBytes("subresource")),
			Namespace:   s.get(o.GetStringBytes("namespace")),
			Name:        string(o.GetStringBytes("name")),
			APIGroup:    s.get(o.GetStringBytes("apiGroup")),
			APIVersion:  s.get(o.GetStringBytes("apiVersion")),
		}
	}
	ev.Code = v.GetInt("responseStatus", "code")
	if ev.Code >= 400 {
		msg := v.GetStringBytes("responseStatus", "message")
		if len(msg) > 1024 {
			msg = msg[:1024]
		}
		ev.StatusMessage = string(msg)
	}
	ev.Time = timestamp(v.GetStringBytes("requestReceivedTimestamp"))
	if ev.Time.IsZero() {
		ev.Time = timestamp(v.GetStringBytes("stageTimestamp"))
	}
	if ev.Time.IsZero() {
		ev.Time = timestamp(v.GetStringBytes("timestamp")) // v1beta1
	}
	if a := v.Get("annotations"); a != nil {
		ev.Decision = s.get(a.GetStringBytes("authorization.k8s.io/decision"))
		ev.Reason = string(a.GetStringBytes("authorization.k8s.io/reason"))
		ev.PolicyFailures = string(a.GetStringBytes("validation.policy.admission.k8s.io/validation_failure"))
		ev.PSAViolations = string(a.GetStringBytes("pod-security.kubernetes.io/audit-violations"))
	}
	if ev.HasObject && keepsBody(ev) {
		body := v.Get("requestObject")
		if ev.Verb == "patch" || ev.Verb == "apply" || body == nil {
			if r := v.Get("responseObject"); r != nil && r.Type() == fastjson.TypeObject {
				body = r
			}
		}
		if body != nil && body.Type() == fastjson.TypeObject {
			ev.Body = body
		}
	}
}

func (d *Decoder) user(u *fastjson.Value) UserInfo {
	out := UserInfo{Username: d.strs.get(u.GetStringBytes("username"))}
	if gs := u.GetArray("groups"); len(gs) > 0 {
		out.Groups = make([]string, 0, len(gs))
		for _, g := range gs {
			out.Groups = append(out.Groups, d.strs.get(g.GetStringBytes()))
		}
	}
	return out
}

// bodyResources are the resources whose bodies detectors read. Secrets,
// tokenreviews, serviceaccounts/token and everything else are never kept.
var bodyResources = map[string]bool{
	"pods": true, "services": true, "configmaps": true, "ingresses": true,
	"roles": true, "rolebindings": true, "clusterroles": true, "clusterrolebindings": true,
	// Workload controllers, for their pod templates.
	"deployments": true, "daemonsets": true, "statefulsets": true, "replicasets": true,
	"jobs": true, "cronjobs": true, "replicationcontrollers": true,
}

func keepsBody(ev *Event) bool {
	switch ev.Object.Subresource {
	case "":
		return bodyResources[ev.Object.Resource] && ev.Object.Resource != "secrets"
	case "ephemeralcontainers":
		return ev.Object.Resource == "pods"
	}
	return false
}

// timestamp parses an RFC 3339 time; zero when absent or unreadable.
func timestamp(b []byte) time.Time {
	if len(b) == 0 {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}
	}
	return t
}

// balanced reports whether a record closes every brace and bracket it
// opens (strings and escapes respected).
func balanced(b []byte) bool {
	depth := 0
	in, esc := false, false
	for _, c := range b {
		switch {
		case esc:
			esc = false
		case in && c == '\\':
			esc = true
		case c == '"':
			in = !in
		case in:
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		}
	}
	return depth <= 0 && !in
}

// interner shares the strings that repeat across events; bounded.
type interner struct{ m map[string]string }

func (in *interner) get(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	if in.m == nil || len(in.m) > 1<<14 {
		in.m = make(map[string]string, 1024)
	}
	s := string(b)
	in.m[s] = s
	return s
}

// streamReader reads pretty-printed JSON: a sequence of values, each an
// Event or an EventList whose items are handed out one at a time, so a
// large list is never held whole.
type streamReader struct {
	name string
	dec  *json.Decoder
	cr   *countingReader
	// inList is set between an EventList's "items" [ and its ].
	inList bool
	// afterList is set from the ] of items to the } of its EventList.
	afterList bool
	pending   []byte // an object rebuilt from its members
	max       int
}

type countingReader struct {
	r     io.Reader
	lines int64 // newlines passed to the decoder so far
	tail  error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.lines += int64(bytes.Count(p[:n], []byte{'\n'}))
	if err != nil && c.tail != nil && errors.Is(err, io.EOF) {
		return n, c.tail
	}
	return n, err
}

func newStreamReader(name string, first []byte, rest io.Reader, line int64, max int, tail error) *streamReader {
	head := append(append([]byte(nil), first...), '\n')
	cr := &countingReader{r: io.MultiReader(bytes.NewReader(head), rest), lines: line - 1, tail: tail}
	if tail != nil {
		cr.r = bytes.NewReader(head)
	}
	return &streamReader{name: name, dec: json.NewDecoder(cr), cr: cr, max: max}
}

// next returns the next Event value's bytes and about where it ends (the
// line the decoder had read up to).
func (s *streamReader) next() ([]byte, int64, error) {
	for {
		if s.inList {
			if !s.dec.More() {
				if _, err := s.dec.Token(); err != nil { // ]
					return nil, s.cr.lines, err
				}
				s.inList = false
				s.afterList = true
				continue
			}
			var raw json.RawMessage
			if err := s.dec.Decode(&raw); err != nil {
				return nil, s.cr.lines, err
			}
			return raw, s.cr.lines, nil
		}
		if s.afterList {
			for s.dec.More() {
				var skip json.RawMessage
				if _, err := s.dec.Token(); err != nil {
					return nil, s.cr.lines, err
				}
				if err := s.dec.Decode(&skip); err != nil {
					return nil, s.cr.lines, err
				}
			}
			if _, err := s.dec.Token(); err != nil { // }
				return nil, s.cr.lines, err
			}
			s.afterList = false
			continue
		}
		if s.pending == nil {
			tok, err := s.dec.Token()
			if err != nil {
				return nil, s.cr.lines, err
			}
			if d, ok := tok.(json.Delim); !ok || d != '{' {
				return nil, s.cr.lines, fmt.Errorf("want a JSON object, found %v", tok)
			}
			s.pending = append(s.pending[:0], '{')
		}
		// Members of the object: "items" of a list is streamed; the
		// other members are collected into pending.
		for s.dec.More() {
			tok, err := s.dec.Token()
			if err != nil {
				return nil, s.cr.lines, err
			}
			key, _ := tok.(string)
			if key == "items" {
				if t, err := s.dec.Token(); err != nil {
					return nil, s.cr.lines, err
				} else if d, ok := t.(json.Delim); !ok || d != '[' {
					return nil, s.cr.lines, fmt.Errorf("items: want a list")
				}
				s.inList = true
				s.pending = nil
				break
			}
			var raw json.RawMessage
			if err := s.dec.Decode(&raw); err != nil {
				return nil, s.cr.lines, err
			}
			if len(s.pending)+len(raw) > s.max {
				return nil, s.cr.lines, fmt.Errorf("record larger than %d bytes", s.max)
			}
			if len(s.pending) > 1 {
				s.pending = append(s.pending, ',')
			}
			k, _ := json.Marshal(key)
			s.pending = append(append(append(s.pending, k...), ':'), raw...)
		}
		if s.inList {
			continue
		}
		if _, err := s.dec.Token(); err != nil { // }
			return nil, s.cr.lines, err
		}
		out := append(s.pending, '}')
		s.pending = nil
		return out, s.cr.lines, nil
	}
}
