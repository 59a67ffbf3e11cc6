package dns

import (
	"bytes"
	"errors"
	"time"
	"unicode/utf8"
)

// Why a line is not a query. Every reason is counted in Stats.
var (
	// ErrNotQuery: other CoreDNS output (plugin messages, start-up banner).
	ErrNotQuery = errors.New("not a query line")
	// ErrMalformed: a query line cut short, or garbage.
	ErrMalformed = errors.New("malformed query line")
	// ErrPartial: a CRI partial line (tag P): the runtime split a long line.
	ErrPartial = errors.New("partial CRI line")
)

// maxInterned bounds each table of interned strings; beyond it strings are
// allocated per line.
const maxInterned = 1 << 16

// Parser turns lines into Records. It interns clients, types and rcodes
// and remembers the last timestamp's second. Not safe for concurrent use.
type Parser struct {
	clients, words map[string]string
	times          timeParser
	scratch        []byte
}

// NewParser returns an empty parser.
func NewParser() *Parser {
	return &Parser{clients: map[string]string{}, words: map[string]string{}}
}

func intern(m map[string]string, b []byte) string {
	if s, ok := m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(m) < maxInterned {
		m[s] = s
	}
	return s
}

// Parse reads one line (without its newline) into rec: an optional
// container-runtime wrapper (Docker JSON, CRI, or an RFC 3339 time as
// kubectl logs --timestamps prints), an optional [LEVEL] tag, then the
// log plugin's common or combined format. rec.Time is zero when the line
// carries no time. The line's bytes may be modified (the name is
// lower-cased in place) and rec.Name points into them.
func (p *Parser) Parse(line []byte, rec *Record) error {
	rec.Time, rec.Inherited = time.Time{}, false
	line = bytes.TrimRight(line, "\r\n")
	if len(line) > 0 && line[0] == '{' {
		msg, t, err := p.dockerJSON(line)
		if err != nil {
			return err
		}
		rec.Time = t
		return p.plugin(msg, rec)
	}
	if len(line) > 0 && line[0] >= '0' && line[0] <= '9' {
		if t, n, ok := p.times.parse(line); ok && n < len(line) && line[n] == ' ' {
			rec.Time = t
			line = line[n+1:]
			// CRI: "<time> stdout F <message>".
			if rest, ok := cutStream(line); ok {
				if len(rest) < 2 || rest[1] != ' ' {
					return ErrMalformed
				}
				if rest[0] == 'P' {
					return ErrPartial
				}
				line = rest[2:]
			}
		}
	}
	return p.plugin(line, rec)
}

func cutStream(b []byte) ([]byte, bool) {
	for _, s := range [...]string{"stdout ", "stderr "} {
		if len(b) >= len(s) && string(b[:len(s)]) == s {
			return b[len(s):], true
		}
	}
	return nil, false
}

// plugin parses `[LEVEL] remote:port - id "TYPE CLASS NAME PROTO SIZE DO
// BUFSIZE" RCODE RFLAGS RSIZE DURATION` with an optional trailing
// "OPCODE" (combined format).
func (p *Parser) plugin(b []byte, rec *Record) error {
	tagged := false
	if len(b) > 2 && b[0] == '[' && b[1] >= 'A' && b[1] <= 'Z' {
		if i := bytes.IndexByte(b, ']'); i > 0 && allUpper(b[1:i]) {
			b = b[i+1:]
			tagged = true
			if len(b) > 0 && b[0] == ' ' {
				b = b[1:]
			}
		}
	}
	// The remote address.
	sp := bytes.IndexByte(b, ' ')
	if sp <= 0 {
		return notQuery(tagged, b)
	}
	remote := b[:sp]
	var host []byte
	if remote[0] == '[' {
		end := bytes.IndexByte(remote, ']')
		if end < 2 || end+1 >= len(remote) || remote[end+1] != ':' {
			return notQuery(tagged, b)
		}
		host = remote[1:end]
	} else {
		c := bytes.LastIndexByte(remote, ':')
		if c <= 0 {
			return notQuery(tagged, b)
		}
		host = remote[:c]
	}
	if !looksLikeIP(host) {
		return notQuery(tagged, b)
	}
	rest := b[sp+1:]
	// From here on the line is a query line; failures are malformed.
	if len(rest) < 2 || rest[0] != '-' || rest[1] != ' ' {
		return ErrMalformed
	}
	rest = rest[2:]
	// The id, then the quoted question.
	sp = bytes.IndexByte(rest, ' ')
	if sp < 0 || sp+1 >= len(rest) || rest[sp+1] != '"' {
		return ErrMalformed
	}
	rest = rest[sp+2:]
	q := bytes.IndexByte(rest, '"')
	if q < 0 {
		return ErrMalformed
	}
	question := rest[:q]
	rest = rest[q+1:]
	var f [4][]byte // type class name proto
	for i := range f {
		sp := bytes.IndexByte(question, ' ')
		if sp < 0 {
			if i < 3 {
				return ErrMalformed
			}
			sp = len(question)
		}
		f[i] = question[:sp]
		if sp < len(question) {
			question = question[sp+1:]
		} else {
			question = nil
		}
	}
	if len(f[0]) == 0 || len(f[2]) == 0 || len(f[3]) == 0 {
		return ErrMalformed
	}
	// RCODE RFLAGS RSIZE DURATION.
	var t [4][]byte
	for i := range t {
		if len(rest) == 0 || rest[0] != ' ' {
			return ErrMalformed
		}
		rest = rest[1:]
		sp := bytes.IndexByte(rest, ' ')
		if sp < 0 {
			sp = len(rest)
		}
		t[i] = rest[:sp]
		rest = rest[sp:]
	}
	if len(t[0]) == 0 || len(t[3]) < 2 || t[3][len(t[3])-1] != 's' {
		return ErrMalformed
	}
	name := f[2]
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			name[i] = c + 'a' - 'A'
		}
	}
	rec.Client = intern(p.clients, host)
	rec.Type = intern(p.words, f[0])
	rec.Name = name
	rec.Proto = intern(p.words, f[3])
	rec.Rcode = intern(p.words, t[0])
	return nil
}

// notQuery tells other CoreDNS output (tagged lines, the banner) from
// garbage.
func notQuery(tagged bool, b []byte) error {
	if tagged || bytes.HasPrefix(b, []byte("CoreDNS-")) || bytes.HasPrefix(b, []byte(".:")) ||
		bytes.HasPrefix(b, []byte("linux/")) || bytes.HasPrefix(b, []byte("plugin/")) {
		return ErrNotQuery
	}
	return ErrMalformed
}

func allUpper(b []byte) bool {
	for _, c := range b {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return len(b) > 0
}

// looksLikeIP accepts the characters of IPv4 and IPv6 addresses (with a
// zone); the detectors only use the address as a key.
func looksLikeIP(b []byte) bool {
	if len(b) == 0 || len(b) > 64 {
		return false
	}
	dots, colons := 0, 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F', c == '%':
		case c == '.':
			dots++
		case c == ':':
			colons++
		default:
			return false
		}
	}
	return dots == 3 || colons >= 2
}

// dockerJSON extracts the log and time fields of a Docker json-file line.
func (p *Parser) dockerJSON(line []byte) ([]byte, time.Time, error) {
	raw, ok := jsonField(line, `"log":`)
	if !ok {
		return nil, time.Time{}, ErrMalformed
	}
	msg, ok := p.unquote(raw)
	if !ok {
		return nil, time.Time{}, ErrMalformed
	}
	var t time.Time
	if tr, ok := jsonField(line, `"time":`); ok && len(tr) > 2 {
		t, _, _ = p.times.parse(tr[1 : len(tr)-1])
	}
	return bytes.TrimRight(msg, "\r\n"), t, nil
}

// jsonField returns the raw JSON string value (with its quotes) of key.
func jsonField(line []byte, key string) ([]byte, bool) {
	i := bytes.Index(line, []byte(key))
	if i < 0 {
		return nil, false
	}
	v := bytes.TrimLeft(line[i+len(key):], " ")
	if len(v) == 0 || v[0] != '"' {
		return nil, false
	}
	for j := 1; j < len(v); j++ {
		switch v[j] {
		case '\\':
			j++
		case '"':
			return v[:j+1], true
		}
	}
	return nil, false
}

// unquote decodes a JSON string into the parser's scratch buffer.
func (p *Parser) unquote(q []byte) ([]byte, bool) {
	q = q[1 : len(q)-1]
	if bytes.IndexByte(q, '\\') < 0 {
		return q, true
	}
	out := p.scratch[:0]
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(q) {
			return nil, false
		}
		switch q[i] {
		case '"', '\\', '/':
			out = append(out, q[i])
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case 'b', 'f':
			out = append(out, ' ')
		case 'u':
			if i+4 >= len(q) {
				return nil, false
			}
			r := rune(0)
			for _, h := range q[i+1 : i+5] {
				r <<= 4
				switch {
				case h >= '0' && h <= '9':
					r |= rune(h - '0')
				case h >= 'a' && h <= 'f':
					r |= rune(h - 'a' + 10)
				case h >= 'A' && h <= 'F':
					r |= rune(h - 'A' + 10)
				default:
					return nil, false
				}
			}
			out = utf8.AppendRune(out, r)
			i += 4
		default:
			return nil, false
		}
	}
	p.scratch = out
	return out, true
}
