package inventory

import (
	"sync"
	"unicode/utf8"
)

// The fast path reads the YAML that real manifests are written in (block
// mappings and sequences, one-line scalars, block scalars, one-line flow
// collections, comments) in one pass over the bytes, producing the same
// values as the yaml.v3 path and the position index lines.go needs, so that
// no second parse is needed for field lines. Whatever it is not sure to read
// exactly as yaml.v3 + converter would (anchors, aliases, tags, merge keys,
// complex keys, multi-line plain or quoted scalars, multi-line flow
// collections, tabs, CR, directives, duplicate keys, a root that is not a
// block mapping, ...) makes it give up, and the document goes through the
// yaml.v3 path, which is always right. Giving up is not an error.
//
// TestFastPathMatchesSlowPath and FuzzFastPath check that whatever the fast
// path accepts, it reads exactly as the slow path does.

// fastMaxDepth bounds nesting; deeper documents take the slow path.
const fastMaxDepth = 100

// fastMaxKey is the longest simple key read here (yaml.v3 refuses keys over
// 1024 characters).
const fastMaxKey = 1000

// fastBail is the panic value that abandons the fast path.
type fastBail struct{}

// line kinds
const (
	lineContent uint8 = iota
	lineBlank
	lineComment
)

// fline is one line of the document: data[start:end] without the '\n'.
type fline struct {
	start, end int
	indent     int // leading spaces
	kind       uint8
	ascii      bool
}

// fnode is one parsed node: its value, its position as firstKeyLine and
// firstKeyColumn give it (1-based), and its children in the index.
type fnode struct {
	v            any
	line, col    int32
	first, count int32
}

type fastKV struct {
	key string
	v   any
}

// value context: what holds the value being read.
type fctx uint8

const (
	ctxMapValue fctx = iota // after "key:"
	ctxSeqItem              // after "- "
)

// fastParser is reused through fastParsers; the caches survive between
// documents so that repeated keys and small values are allocated once.
type fastParser struct {
	data      []byte
	lines     []fline
	content   int // lines holding content
	li        int // next line to read in block context
	depth     int
	wantIndex bool

	kvs   []fastKV
	items []any
	ents  []posEntry // entries of open collections, not yet placed
	out   []posEntry // the index being built; out[0] is the root

	keys   fastCache // plain key text -> key string
	plains fastCache // plain scalar text -> resolved value
	strs   fastCache // quoted scalar and block scalar text -> string value

	buf []byte // scratch for escapes and block scalars
	bug any    // an unexpected panic (a bug), for tests
}

var fastParsers = sync.Pool{New: func() any { return new(fastParser) }}

// fastParseDocument reads one document with the fast path. ok is false when
// the document is outside what the fast path reads; the caller then uses
// yaml.v3. entries (only when wantIndex) is the position index, in the form
// docSource.index builds; positions are relative to data.
func fastParseDocument(data []byte, wantIndex bool) (m map[string]any, entries []posEntry, ok bool) {
	p := fastParsers.Get().(*fastParser)
	m, entries, ok = p.parse(data, wantIndex)
	p.release()
	return m, entries, ok
}

func (p *fastParser) release() {
	p.data = nil
	clear(p.kvs) // left over when the fast path gave up
	clear(p.items)
	p.kvs, p.items, p.ents, p.out = p.kvs[:0], p.items[:0], p.ents[:0], nil
	// Values may be Secret data: do not keep them beyond this document.
	p.plains.reset()
	p.strs.reset()
	fastParsers.Put(p)
}

func (p *fastParser) parse(data []byte, wantIndex bool) (m map[string]any, entries []posEntry, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, bail := r.(fastBail); !bail {
				p.bug = r
			}
			m, entries, ok = nil, nil, false
		}
	}()
	p.data, p.wantIndex, p.li, p.depth, p.bug = data, wantIndex, 0, 0, nil
	p.kvs, p.items, p.ents = p.kvs[:0], p.items[:0], p.ents[:0]
	p.out = nil
	if !p.scanLines() {
		return nil, nil, false
	}
	root := p.nextContent()
	if root < 0 {
		return nil, nil, false
	}
	l := p.lines[root]
	if _, _, isKey := p.keyAt(root, l.start+l.indent); !isKey {
		return nil, nil, false // a scalar, a sequence or a flow collection
	}
	if wantIndex {
		// About one entry per line of content: sized once, not grown.
		p.out = make([]posEntry, 1, p.content+8)
	}
	n := p.mapping(root, l.start+l.indent, l.indent)
	if p.nextContent() >= 0 {
		return nil, nil, false // text after the root mapping
	}
	if wantIndex {
		p.out[0] = posEntry{line: n.line, column: n.col, first: n.first, count: n.count}
		entries = p.out
		p.out = nil
	}
	return n.v.(map[string]any), entries, true
}

func bail() { panic(fastBail{}) }

// scanLines splits the document into lines and refuses bytes the fast path
// does not handle: tabs, CR, control characters, non-ASCII line breaks,
// BOMs, invalid UTF-8, document markers other than a first "---" line.
func (p *fastParser) scanLines() bool {
	data := p.data
	p.lines = p.lines[:0]
	p.content = 0
	for pos := 0; pos < len(data); {
		l := fline{start: pos, ascii: true, kind: lineBlank}
		i := pos
		for i < len(data) && data[i] == ' ' {
			i++
		}
		l.indent = i - pos
		for ; i < len(data); i++ {
			c := data[i]
			if c == '\n' {
				break
			}
			if c < 0x20 || c == 0x7f {
				return false
			}
			if c >= 0x80 {
				r, size := utf8.DecodeRune(data[i:])
				if r == utf8.RuneError || r < 0xA0 || r == 0x2028 || r == 0x2029 || r == 0xFEFF || (r > 0xFFFD && r < 0x10000) {
					return false
				}
				l.ascii = false
				i += size - 1
			}
		}
		l.end = i
		if l.indent < l.end-l.start {
			l.kind = lineContent
			if data[l.start+l.indent] == '#' {
				l.kind = lineComment
			} else {
				p.content++
			}
		}
		text := data[l.start:l.end]
		if len(text) >= 3 && (string(text[:3]) == "---" || string(text[:3]) == "...") && (len(text) == 3 || text[3] == ' ') {
			if len(p.lines) > 0 || text[0] == '.' {
				return false
			}
			// "---" or "--- # comment" opens the document.
			j := 3
			for j < len(text) && text[j] == ' ' {
				j++
			}
			if j < len(text) && text[j] != '#' {
				return false
			}
			l.kind = lineComment
		}
		p.lines = append(p.lines, l)
		pos = i + 1
	}
	return true
}

// nextContent moves p.li to the next line holding content (not blank, not
// a comment) and returns it, or -1 at the end.
func (p *fastParser) nextContent() int {
	for p.li < len(p.lines) {
		if p.lines[p.li].kind == lineContent {
			return p.li
		}
		p.li++
	}
	return -1
}

// col is the 1-based column of byte pos of line li, in characters as
// yaml.v3 counts them.
func (p *fastParser) col(li, pos int) int32 {
	l := p.lines[li]
	if l.ascii {
		return int32(pos - l.start + 1)
	}
	return int32(utf8.RuneCount(p.data[l.start:pos]) + 1)
}

// isDash reports a block sequence entry ("-" then a space or the end of
// the line) at byte pos of line li.
func (p *fastParser) isDash(li, pos int) bool {
	end := p.lines[li].end
	return pos < end && p.data[pos] == '-' && (pos+1 == end || p.data[pos+1] == ' ')
}

func (p *fastParser) enter() {
	p.depth++
	if p.depth > fastMaxDepth {
		bail()
	}
}

// place moves the entries of a closed collection (from ents[base:]) to the
// index, contiguous as lines.go's child() needs, and returns their range.
func (p *fastParser) place(base int) (first, count int32) {
	if !p.wantIndex {
		return 0, 0
	}
	first = int32(len(p.out))
	count = int32(len(p.ents) - base)
	p.out = append(p.out, p.ents[base:]...)
	p.ents = p.ents[:base]
	return first, count
}

// mapping reads a block mapping whose first key is at byte pos of line li,
// at column col (0-based; the text before it on the line is spaces and
// "- " entries, so bytes and characters agree).
func (p *fastParser) mapping(li, pos, col int) fnode {
	p.enter()
	defer func() { p.depth-- }()
	baseKV, baseEnt := len(p.kvs), len(p.ents)
	n := fnode{line: int32(li + 1), col: int32(col + 1)}
	for {
		key, after, isKey := p.keyAt(li, pos)
		if !isKey {
			bail()
		}
		ent := -1
		if p.wantIndex {
			ent = len(p.ents)
			p.ents = append(p.ents, posEntry{key: key, line: int32(li + 1), column: p.col(li, pos)})
		}
		v := p.value(li, after, col, ctxMapValue)
		if ent >= 0 {
			p.ents[ent].first, p.ents[ent].count = v.first, v.count
		}
		p.kvs = append(p.kvs, fastKV{key, v.v})
		next := p.nextContent()
		if next < 0 {
			break
		}
		l := p.lines[next]
		if l.indent < col {
			break
		}
		if l.indent > col || p.isDash(next, l.start+l.indent) {
			bail() // a continuation line, or an entry where a key belongs
		}
		li, pos = next, l.start+l.indent
	}
	kvs := p.kvs[baseKV:]
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[kv.key] = kv.v
	}
	if len(m) != len(kvs) {
		bail() // duplicate keys: the slow path warns about them
	}
	clear(kvs)
	p.kvs = p.kvs[:baseKV]
	n.v = m
	n.first, n.count = p.place(baseEnt)
	return n
}

// sequence reads a block sequence whose first "-" is at byte pos of line
// li, at column col. An indentless sequence (a mapping value at the
// mapping's own column) ends at a line of that column that is not an entry.
func (p *fastParser) sequence(li, pos, col int, indentless bool) fnode {
	p.enter()
	defer func() { p.depth-- }()
	baseItems, baseEnt := len(p.items), len(p.ents)
	n := fnode{line: int32(li + 1), col: int32(col + 1)}
	for {
		ent := -1
		if p.wantIndex {
			ent = len(p.ents)
			p.ents = append(p.ents, posEntry{item: true})
		}
		v := p.value(li, pos+1, col, ctxSeqItem)
		if ent >= 0 {
			e := &p.ents[ent]
			e.line, e.column, e.first, e.count = v.line, v.col, v.first, v.count
		}
		p.items = append(p.items, v.v)
		next := p.nextContent()
		if next < 0 {
			break
		}
		l := p.lines[next]
		if l.indent < col {
			break
		}
		if l.indent > col {
			bail()
		}
		if !p.isDash(next, l.start+l.indent) {
			if indentless {
				break // the next key of the mapping holding the sequence
			}
			bail()
		}
		li, pos = next, l.start+l.indent
	}
	items := make([]any, len(p.items)-baseItems)
	copy(items, p.items[baseItems:])
	clear(p.items[baseItems:])
	p.items = p.items[:baseItems]
	n.v = items
	n.first, n.count = p.place(baseEnt)
	return n
}

// value reads the value after "key:" or "-" (pos is just after the
// indicator). indent is the column of the innermost block collection, which
// yaml.v3 uses for block scalar indentation and plain scalar continuation.
func (p *fastParser) value(li, pos, indent int, ctx fctx) fnode {
	data, end := p.data, p.lines[li].end
	j := pos
	for j < end && data[j] == ' ' {
		j++
	}
	if j == end || data[j] == '#' {
		// The value starts on a later line, or is empty. An empty entry
		// sits where yaml.v3 puts it: just after the "-".
		p.li = li + 1
		return p.laterValue(indent, ctx, int32(li+1), p.col(li, pos))
	}
	return p.inline(li, j, indent, ctx)
}

// laterValue reads a value that starts on a later line than its key or
// entry: a deeper node, an indentless sequence, or nothing (null).
func (p *fastParser) laterValue(indent int, ctx fctx, nullLine, nullCol int32) fnode {
	next := p.nextContent()
	if next >= 0 {
		l := p.lines[next]
		pos := l.start + l.indent
		switch {
		case l.indent > indent:
			return p.node(next, pos, indent)
		case l.indent == indent && ctx == ctxMapValue && p.isDash(next, pos):
			return p.sequence(next, pos, l.indent, true)
		}
	}
	return fnode{v: nil, line: nullLine, col: nullCol}
}

// node reads a node that starts a line (at byte pos of line li).
func (p *fastParser) node(li, pos, indent int) fnode {
	col := pos - p.lines[li].start
	if p.isDash(li, pos) {
		return p.sequence(li, pos, col, false)
	}
	if _, _, isKey := p.keyAt(li, pos); isKey {
		return p.mapping(li, pos, col)
	}
	return p.inline(li, pos, indent, ctxMapValue)
}

// inline reads a value that starts at byte pos of line li (not a space).
func (p *fastParser) inline(li, pos, indent int, ctx fctx) fnode {
	data, end := p.data, p.lines[li].end
	c := data[pos]
	next := byte(' ')
	if pos+1 < end {
		next = data[pos+1]
	}
	switch c {
	case '|', '>':
		n := fnode{line: int32(li + 1), col: p.col(li, pos)}
		n.v = p.blockScalar(li, pos, indent)
		return n
	case '"', '\'':
		if ctx == ctxSeqItem {
			if _, _, isKey := p.keyAt(li, pos); isKey {
				return p.mapping(li, pos, pos-p.lines[li].start)
			}
		}
		n := fnode{line: int32(li + 1), col: p.col(li, pos)}
		s, endLi, k, _ := p.quoted(li, pos, true)
		n.v = p.strs.str(s)
		p.endOfLine(endLi, k)
		return n
	case '[', '{':
		n, k := p.flow(li, pos)
		p.endOfLine(li, k)
		return n
	case '-':
		if next == ' ' {
			if ctx == ctxSeqItem {
				return p.sequence(li, pos, pos-p.lines[li].start, false)
			}
			bail()
		}
	case '?', ':':
		if next == ' ' {
			bail()
		}
	case ',', ']', '}', '#', '&', '*', '!', '%', '@', '`':
		bail()
	}
	text, isKey, comment := p.plain(li, pos)
	if isKey {
		if ctx == ctxSeqItem {
			return p.mapping(li, pos, pos-p.lines[li].start)
		}
		bail() // "a: b: c"
	}
	p.li = li + 1
	if !comment {
		text = p.plainLines(text, indent)
	}
	return fnode{v: p.plains.plain(text), line: int32(li + 1), col: p.col(li, pos)}
}

// plain scans one line of a plain scalar in block context from byte pos.
// isKey reports a ": " (or a final ":") in it: then it is a mapping key.
// comment reports a " #" that ends it.
func (p *fastParser) plain(li, pos int) (text []byte, isKey, comment bool) {
	data, end := p.data, p.lines[li].end
	last := pos
	for j := pos; j < end; j++ {
		switch data[j] {
		case ' ':
			if j+1 < end && data[j+1] == '#' {
				return data[pos:last], false, true
			}
			continue
		case ':':
			if j+1 == end || data[j+1] == ' ' {
				return data[pos:last], true, false
			}
		}
		last = j + 1
	}
	return data[pos:last], false, false
}

// plainLines adds to the first line of a plain scalar (text) the lines that
// continue it: lines indented deeper than indent, the column of the
// innermost block collection, up to a less indented line or a comment.
// Lines are joined by a space, or by the line breaks of the empty lines
// between them. A ": " in a continuation line is an error for yaml.v3 (a
// multi-line key): left to the slow path.
func (p *fastParser) plainLines(text []byte, indent int) []byte {
	joined := false
	breaks := 0
	for j := p.li; j < len(p.lines); j++ {
		l := p.lines[j]
		if l.kind == lineBlank {
			breaks++
			continue
		}
		if l.kind == lineComment || l.indent <= indent {
			break
		}
		if !joined {
			text = append(p.buf[:0], text...)
			joined = true
		}
		if breaks == 0 {
			text = append(text, ' ')
		}
		for ; breaks > 0; breaks-- {
			text = append(text, '\n')
		}
		line, isKey, comment := p.plain(j, l.start+l.indent)
		if isKey {
			bail()
		}
		text = append(text, line...)
		p.li = j + 1
		if comment {
			break
		}
	}
	if joined {
		p.buf = text
	}
	return text
}

// keyAt reads a block mapping key at byte pos of line li: a plain or
// quoted scalar followed by ':' and a space or the end of the line. after
// is the position after the ':'. isKey is false when the line holds
// something else there.
func (p *fastParser) keyAt(li, pos int) (key string, after int, isKey bool) {
	data, end := p.data, p.lines[li].end
	c := data[pos]
	next := byte(' ')
	if pos+1 < end {
		next = data[pos+1]
	}
	var k int
	switch c {
	case '"', '\'':
		s, _, q, ok := p.quoted(li, pos, false)
		if !ok {
			return "", 0, false
		}
		for q < end && data[q] == ' ' {
			q++
		}
		if q == end || data[q] != ':' || (q+1 < end && data[q+1] != ' ') {
			return "", 0, false
		}
		if q-pos > fastMaxKey {
			bail()
		}
		return p.strs.keyStr(s), q + 1, true
	case '-':
		if next == ' ' {
			return "", 0, false
		}
	case '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '%', '@', '`':
		return "", 0, false
	}
	text, isKey, _ := p.plain(li, pos)
	if !isKey {
		return "", 0, false
	}
	for k = pos + len(text); data[k] != ':'; k++ {
	}
	if k-pos > fastMaxKey {
		bail()
	}
	for _, b := range text {
		switch b {
		case ',', '[', ']', '{', '}':
			bail() // legal in block context, but left to the slow path
		}
	}
	if string(text) == "<<" {
		bail() // a merge key
	}
	return p.keys.key(text), k + 1, true
}

// endOfLine checks that only spaces and a comment follow byte pos.
func (p *fastParser) endOfLine(li, pos int) {
	data, end := p.data, p.lines[li].end
	j := pos
	for j < end && data[j] == ' ' {
		j++
	}
	if j < end && (data[j] != '#' || j == pos) {
		bail()
	}
	p.li = li + 1
}

// quoted reads a single- or double-quoted scalar from its opening quote
// at byte pos of line li, following yaml.v3's scanner (escapes, folding of
// line breaks). With multi false, a scalar that does not close on its line
// (a key) gives ok false. endLi and next are the line and byte after the
// closing quote. The returned bytes may alias p.data or p.buf until the
// next call.
func (p *fastParser) quoted(li, pos int, multi bool) (s []byte, endLi, next int, ok bool) {
	data := p.data
	quote := data[pos]
	single := quote == '\''
	end := p.lines[li].end
	j := pos + 1
	for j < end && data[j] != quote && data[j] != '\\' {
		j++
	}
	if j < end && data[j] == quote && !(single && j+1 < end && data[j+1] == '\'') {
		return data[pos+1 : j], li, j + 1, true // the common case: nothing to unescape
	}
	b := p.buf[:0]
	n := len(data)
	j = pos + 1
	spaces, trailing := 0, 0
	leadingBreak := false
	for {
		if j >= n {
			bail() // unterminated
		}
		leadingBlanks := false
		for j < n && data[j] != ' ' && data[j] != '\n' {
			c := data[j]
			if single {
				if c == '\'' {
					if j+1 < n && data[j+1] == '\'' {
						b = append(b, '\'')
						j += 2
						continue
					}
					break
				}
			} else if c == '"' {
				break
			} else if c == '\\' {
				if j+1 < n && data[j+1] == '\n' {
					if !multi {
						return nil, 0, 0, false
					}
					// An escaped line break joins the lines.
					j += 2
					li++
					leadingBlanks = true
					break
				}
				b, j = p.escape(b, j)
				continue
			}
			b = append(b, c)
			j++
		}
		if j < n && data[j] == quote {
			break
		}
		for j < n && (data[j] == ' ' || data[j] == '\n') {
			if data[j] == ' ' {
				if !leadingBlanks {
					spaces++
				}
			} else {
				if !multi {
					return nil, 0, 0, false
				}
				if !leadingBlanks {
					spaces = 0
					leadingBreak = true
					leadingBlanks = true
				} else {
					trailing++
				}
				li++
			}
			j++
		}
		if leadingBlanks {
			if leadingBreak && trailing == 0 {
				b = append(b, ' ')
			}
			for ; trailing > 0; trailing-- {
				b = append(b, '\n')
			}
			leadingBreak = false
		} else {
			for ; spaces > 0; spaces-- {
				b = append(b, ' ')
			}
		}
	}
	p.buf = b
	return b, li, j + 1, true
}

// escape appends the character of the escape sequence at data[j] ('\\')
// and returns the position after it. Escapes yaml.v3 refuses bail out.
func (p *fastParser) escape(b []byte, j int) ([]byte, int) {
	data := p.data
	if j+1 >= len(data) {
		bail()
	}
	code := 0
	switch data[j+1] {
	case '0':
		b = append(b, 0)
	case 'a':
		b = append(b, '\x07')
	case 'b':
		b = append(b, '\x08')
	case 't':
		b = append(b, '\x09')
	case 'n':
		b = append(b, '\x0A')
	case 'v':
		b = append(b, '\x0B')
	case 'f':
		b = append(b, '\x0C')
	case 'r':
		b = append(b, '\x0D')
	case 'e':
		b = append(b, '\x1B')
	case ' ':
		b = append(b, ' ')
	case '"':
		b = append(b, '"')
	case '\'':
		b = append(b, '\'')
	case '\\':
		b = append(b, '\\')
	case 'N':
		b = append(b, "\u0085"...)
	case '_':
		b = append(b, "\u00a0"...)
	case 'L':
		b = append(b, "\u2028"...)
	case 'P':
		b = append(b, "\u2029"...)
	case 'x':
		code = 2
	case 'u':
		code = 4
	case 'U':
		code = 8
	default:
		bail() // an unknown escape is an error for yaml.v3
	}
	j += 2
	if code > 0 {
		if j+code > len(data) {
			bail()
		}
		v := 0
		for k := range code {
			h, ok := hexVal(data[j+k])
			if !ok {
				bail()
			}
			v = v<<4 + h
		}
		if (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF {
			bail()
		}
		b = utf8.AppendRune(b, rune(v))
		j += code
	}
	return b, j
}

func hexVal(c byte) (int, bool) {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10, true
	}
	return 0, false
}

// blockScalar reads a literal (|) or folded (>) scalar whose indicator is
// at byte pos of line li, following yaml.v3's scanner step by step
// (indentation detection, folding, chomping). indent is the column of the
// innermost block collection. It leaves p.li at the first line after the
// scalar.
func (p *fastParser) blockScalar(li, pos, indent int) string {
	data, end := p.data, p.lines[li].end
	literal := data[pos] == '|'
	j := pos + 1
	chomp, inc := 0, 0
	chomping := func() {
		if j < end && (data[j] == '+' || data[j] == '-') {
			chomp = 1
			if data[j] == '-' {
				chomp = -1
			}
			j++
		}
	}
	increment := func() {
		if j < end && data[j] >= '0' && data[j] <= '9' {
			if data[j] == '0' {
				bail()
			}
			inc = int(data[j] - '0')
			j++
		}
	}
	if j < end && (data[j] == '+' || data[j] == '-') {
		chomping()
		increment()
	} else {
		increment()
		chomping()
	}
	k := j
	for k < end && data[k] == ' ' {
		k++
	}
	if k < end && (data[k] != '#' || k == j) {
		bail()
	}

	blockIndent := 0
	if inc > 0 {
		if indent >= 0 {
			blockIndent = indent + inc
		} else {
			blockIndent = inc
		}
	}
	n := len(data)
	q := end // the cursor, as yaml.v3's mark
	if q < n {
		q++ // the header's line break
	}
	ls := q // start of the cursor's line
	line := li + 1
	s := p.buf[:0]
	trailing := 0 // trailing line breaks, all "\n"
	leadingBreak := false
	// breaks eats indentation and empty lines, determining the indentation
	// when it is not known yet.
	breaks := func() {
		maxIndent := 0
		for {
			for (blockIndent == 0 || q-ls < blockIndent) && q < n && data[q] == ' ' {
				q++
			}
			if q-ls > maxIndent {
				maxIndent = q - ls
			}
			if q >= n || data[q] != '\n' {
				break
			}
			trailing++
			q++
			ls = q
			line++
		}
		if blockIndent == 0 {
			blockIndent = max(maxIndent, indent+1, 1)
		}
	}
	breaks()
	var leadingBlank bool
	for q-ls == blockIndent && q < n {
		trailingBlank := data[q] == ' '
		if !literal && !leadingBlank && !trailingBlank && leadingBreak {
			if trailing == 0 {
				s = append(s, ' ')
			}
		} else if leadingBreak {
			s = append(s, '\n')
		}
		leadingBreak = false
		for ; trailing > 0; trailing-- {
			s = append(s, '\n')
		}
		leadingBlank = data[q] == ' '
		e := q
		for e < n && data[e] != '\n' {
			e++
		}
		s = append(s, data[q:e]...)
		q = e
		if q < n {
			leadingBreak = true
			q++
			ls = q
			line++
		}
		breaks()
	}
	if chomp != -1 && leadingBreak {
		s = append(s, '\n')
	}
	if chomp == 1 {
		for ; trailing > 0; trailing-- {
			s = append(s, '\n')
		}
	}
	p.buf = s
	if q >= n {
		p.li = len(p.lines)
	} else {
		p.li = line
	}
	return string(s)
}

// flow reads a one-line flow sequence or mapping at byte pos of line li;
// next is after its closing bracket.
func (p *fastParser) flow(li, pos int) (n fnode, next int) {
	p.enter()
	defer func() { p.depth-- }()
	data, end := p.data, p.lines[li].end
	skip := func(j int) int {
		for j < end && data[j] == ' ' {
			j++
		}
		if j >= end {
			bail() // the collection goes on past this line
		}
		return j
	}
	n = fnode{line: int32(li + 1), col: p.col(li, pos)}
	baseEnt := len(p.ents)
	if data[pos] == '[' {
		baseItems := len(p.items)
		j := skip(pos + 1)
		for data[j] != ']' {
			ent := -1
			if p.wantIndex {
				ent = len(p.ents)
				p.ents = append(p.ents, posEntry{item: true})
			}
			v, k := p.flowNode(li, j)
			if ent >= 0 {
				e := &p.ents[ent]
				e.line, e.column, e.first, e.count = v.line, v.col, v.first, v.count
			}
			p.items = append(p.items, v.v)
			j = skip(k)
			if data[j] == ',' {
				j = skip(j + 1)
				continue
			}
			if data[j] != ']' {
				bail()
			}
		}
		items := make([]any, len(p.items)-baseItems)
		copy(items, p.items[baseItems:])
		clear(p.items[baseItems:])
		p.items = p.items[:baseItems]
		n.v = items
		n.first, n.count = p.place(baseEnt)
		return n, j + 1
	}
	baseKV := len(p.kvs)
	j := skip(pos + 1)
	for data[j] != '}' {
		key, k := p.flowKey(li, j)
		if len(p.kvs) == baseKV {
			n.line, n.col = int32(li+1), p.col(li, j)
		}
		ent := -1
		if p.wantIndex {
			ent = len(p.ents)
			p.ents = append(p.ents, posEntry{key: key, line: int32(li + 1), column: p.col(li, j)})
		}
		j = skip(k)
		if data[j] == ',' || data[j] == '}' {
			bail() // an empty value
		}
		v, k := p.flowNode(li, j)
		if ent >= 0 {
			p.ents[ent].first, p.ents[ent].count = v.first, v.count
		}
		p.kvs = append(p.kvs, fastKV{key, v.v})
		j = skip(k)
		if data[j] == ',' {
			j = skip(j + 1)
			continue
		}
		if data[j] != '}' {
			bail()
		}
	}
	kvs := p.kvs[baseKV:]
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[kv.key] = kv.v
	}
	if len(m) != len(kvs) {
		bail()
	}
	clear(kvs)
	p.kvs = p.kvs[:baseKV]
	n.v = m
	n.first, n.count = p.place(baseEnt)
	return n, j + 1
}

// flowNode reads one value inside a flow collection.
func (p *fastParser) flowNode(li, pos int) (fnode, int) {
	data := p.data
	switch data[pos] {
	case '[', '{':
		return p.flow(li, pos)
	case '"', '\'':
		n := fnode{line: int32(li + 1), col: p.col(li, pos)}
		s, _, k, ok := p.quoted(li, pos, false)
		if !ok {
			bail()
		}
		n.v = p.strs.str(s)
		return n, k
	}
	text, k := p.flowPlain(li, pos, false)
	return fnode{v: p.plains.plain(text), line: int32(li + 1), col: p.col(li, pos)}, k
}

// flowKey reads a key inside a flow mapping, up to and including ": ".
func (p *fastParser) flowKey(li, pos int) (string, int) {
	data, end := p.data, p.lines[li].end
	var key string
	var k int
	switch data[pos] {
	case '"', '\'':
		var s []byte
		s, _, k, ok := p.quoted(li, pos, false)
		if !ok {
			bail()
		}
		key = p.strs.keyStr(s)
		for k < end && data[k] == ' ' {
			k++
		}
	default:
		var text []byte
		text, k = p.flowPlain(li, pos, true)
		if string(text) == "<<" {
			bail()
		}
		key = p.keys.key(text)
	}
	if k+1 >= end || data[k] != ':' || data[k+1] != ' ' {
		bail()
	}
	return key, k + 2
}

// flowPlain scans a plain scalar inside a flow collection. Anything but
// plain text ending at ',', ']' or '}' (or at ": " for a key) is left to
// the slow path. next is where the scan stopped (after trailing spaces).
func (p *fastParser) flowPlain(li, pos int, key bool) (text []byte, next int) {
	data, end := p.data, p.lines[li].end
	c := data[pos]
	switch c {
	case '-':
		if pos+1 >= end {
			bail()
		}
		switch data[pos+1] {
		case ' ', ',', '[', ']', '{', '}', ':', '#', '?':
			bail()
		}
	case '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', ' ':
		bail()
	}
	last := pos
	j := pos
	for ; j < end; j++ {
		switch data[j] {
		case ',', ']', '}':
			if key {
				bail()
			}
			return data[pos:last], j
		case ':':
			if key && j+1 < end && data[j+1] == ' ' {
				return data[pos:last], j
			}
			bail()
		case '[', '{', '#', '?':
			bail()
		case ' ':
			continue
		}
		last = j + 1
	}
	bail()
	return nil, 0
}

// fastCache interns small strings and resolved scalars by their text:
// manifests repeat the same keys and values over and over.
type fastCache struct {
	ents  [512]fastCacheEntry
	dirty []uint16 // slots written since the last reset
}

type fastCacheEntry struct {
	text string
	v    any // nil: empty slot
}

const fastCacheMax = 48 // longer texts are not cached

// reset forgets the cached values, clearing only the slots written.
func (c *fastCache) reset() {
	for _, i := range c.dirty {
		c.ents[i] = fastCacheEntry{}
	}
	c.dirty = c.dirty[:0]
}

// get returns the cached value of b, or the slot to cache it in (-1: too
// long to cache).
func (c *fastCache) get(b []byte) (v any, slot int) {
	if len(b) > fastCacheMax {
		return nil, -1
	}
	h := 2166136261 // FNV-1a
	for _, x := range b {
		h = (h ^ int(x)) * 16777619
	}
	slot = int(uint32(h) % uint32(len(c.ents)))
	if e := &c.ents[slot]; e.v != nil && e.text == string(b) {
		return e.v, slot
	}
	return nil, slot
}

func (c *fastCache) put(slot int, text string, v any) {
	if slot < 0 || v == nil {
		return
	}
	if c.ents[slot].v == nil {
		c.dirty = append(c.dirty, uint16(slot))
	}
	c.ents[slot] = fastCacheEntry{text: text, v: v}
}

// key returns the key string of a plain key, as converter.key gives it.
func (c *fastCache) key(b []byte) string {
	v, slot := c.get(b)
	if v != nil {
		return v.(string)
	}
	s := string(b)
	k := keyString(jsonNumber(resolvePlain(s), s), s)
	c.put(slot, s, k)
	return k
}

// keyStr returns a quoted key.
func (c *fastCache) keyStr(b []byte) string {
	if v, _ := c.get(b); v != nil {
		return v.(string)
	}
	return c.str(b).(string)
}

// plain returns the value of a plain scalar, resolved as the slow path
// resolves it.
func (c *fastCache) plain(b []byte) any {
	v, slot := c.get(b)
	if v != nil {
		return v
	}
	s := string(b)
	v = jsonNumber(resolvePlain(s), s)
	c.put(slot, s, v)
	return v
}

// str returns a quoted scalar's value.
func (c *fastCache) str(b []byte) any {
	v, slot := c.get(b)
	if v != nil {
		return v
	}
	s := string(b)
	v = s
	c.put(slot, s, v)
	return v
}
