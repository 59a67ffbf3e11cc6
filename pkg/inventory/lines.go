package inventory

import (
	"bytes"
	"sync"

	"go.yaml.in/yaml/v3"
)

// docSource holds the compact position index of one document (keys, lines,
// columns; no values, no yaml.Node tree), shared by every object of the
// document (List items) and safe for concurrent use. The fast path
// (fastyaml.go) builds the index while reading the document. For a document
// read by yaml.v3 it keeps the text of its chunk instead, and the first
// request parses it again to build the index.
type docSource struct {
	data     []byte // the chunk's bytes (a copy), until the index is built
	lineOff  int    // file line = chunk line + lineOff
	docIndex int    // document number within the chunk (normally 0)

	once    sync.Once
	entries []posEntry // entries[0] is the document root
}

// posEntry is one mapping key or list item of the index. The children of
// an entry are entries[first : first+count].
type posEntry struct {
	key          string
	item         bool // a list item (key unused)
	line, column int32
	first, count int32
}

// objectLines resolves field paths of one object: the whole document, or
// one item of a List (prefix "items[3]").
type objectLines struct {
	doc    *docSource
	prefix string
	line   int // the object's Source.Line, the last fallback
}

// FieldPosition implements LineResolver. A path whose end does not exist
// resolves to its nearest existing ancestor; a path of which nothing exists
// to the object's first key.
func (l *objectLines) FieldPosition(path string) (line, column int, ok bool) {
	elems, err := ParsePath(path)
	entries := l.doc.index()
	if err != nil || len(entries) == 0 {
		return l.line, 0, l.line > 0
	}
	cur := entries[0]
	if l.prefix != "" {
		pre, _ := ParsePath(l.prefix)
		for _, e := range pre {
			next, found := child(entries, cur, e)
			if !found {
				return l.line, 0, l.line > 0
			}
			cur = next
		}
	}
	line, column = int(cur.line), int(cur.column)
	for _, e := range elems {
		next, found := child(entries, cur, e)
		if !found {
			break
		}
		cur = next
		line, column = int(cur.line), int(cur.column)
	}
	return line + l.doc.lineOff, column, true
}

func child(entries []posEntry, parent posEntry, e PathElem) (posEntry, bool) {
	kids := entries[parent.first : parent.first+parent.count]
	if e.IsIdx {
		if e.Index < 0 || e.Index >= len(kids) || !kids[e.Index].item {
			return posEntry{}, false
		}
		return kids[e.Index], true
	}
	for _, k := range kids {
		if !k.item && k.key == e.Key {
			return k, true
		}
	}
	return posEntry{}, false
}

// index parses the document once and builds the position index.
func (d *docSource) index() []posEntry {
	d.once.Do(func() {
		defer func() {
			if recover() != nil {
				d.entries = nil
			}
		}()
		dec := yaml.NewDecoder(bytes.NewReader(d.data))
		var doc yaml.Node
		for i := 0; i <= d.docIndex; i++ {
			doc = yaml.Node{}
			if err := dec.Decode(&doc); err != nil {
				return
			}
		}
		if len(doc.Content) == 0 {
			return
		}
		root := doc.Content[0]
		b := indexBuilder{conv: converter{}}
		b.entries = append(b.entries, posEntry{line: int32(firstKeyLine(root)), column: int32(firstKeyColumn(root))})
		b.entries[0].first, b.entries[0].count = b.children(root)
		d.entries = b.entries
		d.data = nil // the index is all we need from now on
	})
	return d.entries
}

func firstKeyColumn(n *yaml.Node) int {
	n = deref(n)
	if n.Kind == yaml.MappingNode && len(n.Content) > 0 {
		return n.Content[0].Column
	}
	return n.Column
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 1000; i++ {
		n = n.Alias
	}
	return n
}

type indexBuilder struct {
	conv    converter
	entries []posEntry
	budget  int
}

// pair is one effective key of a mapping, after duplicate and merge rules.
type pair struct {
	key      string
	keyNode  *yaml.Node
	valueNod *yaml.Node
}

// children appends the entries of a node's keys or items and returns their
// range. Aliases are followed (positions then point at the anchor), bounded
// like the conversion so a cyclic or exploding document cannot run away.
func (b *indexBuilder) children(n *yaml.Node) (first, count int32) {
	b.budget++
	if b.budget > maxAliasNodes*4 {
		return 0, 0
	}
	n = deref(n)
	switch n.Kind {
	case yaml.MappingNode:
		ps := b.pairs(n, 0)
		start := len(b.entries)
		for _, p := range ps {
			b.entries = append(b.entries, posEntry{key: p.key, line: int32(p.keyNode.Line), column: int32(p.keyNode.Column)})
		}
		for i, p := range ps {
			f, c := b.children(p.valueNod)
			b.entries[start+i].first, b.entries[start+i].count = f, c
		}
		return int32(start), int32(len(ps))
	case yaml.SequenceNode:
		start := len(b.entries)
		for _, it := range n.Content {
			d := deref(it)
			b.entries = append(b.entries, posEntry{item: true, line: int32(firstKeyLine(d)), column: int32(firstKeyColumn(d))})
		}
		for i, it := range n.Content {
			f, c := b.children(it)
			b.entries[start+i].first, b.entries[start+i].count = f, c
		}
		return int32(start), int32(len(n.Content))
	}
	return 0, 0
}

// pairs lists a mapping's effective keys in order: explicit keys (the last
// of duplicates wins, at its position) then merged keys not set explicitly.
func (b *indexBuilder) pairs(n *yaml.Node, depth int) []pair {
	var out []pair
	at := map[string]int{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			merges = append(merges, v)
			continue
		}
		key, err := b.conv.key(k)
		if err != nil {
			continue
		}
		if j, dup := at[key]; dup {
			out[j] = pair{key, k, v}
			continue
		}
		at[key] = len(out)
		out = append(out, pair{key, k, v})
	}
	if depth > 50 {
		return out
	}
	var sources []*yaml.Node
	for _, m := range merges {
		m = deref(m)
		if m.Kind == yaml.SequenceNode {
			for _, it := range m.Content {
				sources = append(sources, deref(it))
			}
		} else {
			sources = append(sources, m)
		}
	}
	for _, s := range sources {
		b.budget++
		if s.Kind != yaml.MappingNode || b.budget > maxAliasNodes*4 {
			continue
		}
		for _, p := range b.pairs(s, depth+1) {
			if _, set := at[p.key]; !set {
				at[p.key] = len(out)
				out = append(out, p)
			}
		}
	}
	return out
}
