package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/kharden/kharden/pkg/finding"
)

// disableFastPath makes every document take the yaml.v3 path (tests).
var disableFastPath bool

// DefaultMaxDocumentBytes bounds one YAML/JSON document when
// LoadOptions.MaxDocumentBytes is 0.
const DefaultMaxDocumentBytes = 8 << 20

// Messages of diagnostics that callers (and tests) recognise.
const (
	msgBinary    = "binary file (NUL bytes or invalid UTF-8); skipped"
	msgNotObject = "not a Kubernetes object (no apiVersion or kind); skipped"
)

// ParseDocuments splits a file's bytes into objects (multi-document YAML,
// JSON, List kinds), keeping the line of each document. Problems are
// returned as diagnostics naming the file and line; good documents are kept.
//
// Comment-only and empty documents are skipped silently. A document that is
// not a Kubernetes object (a values file, a CI workflow) is skipped with a
// warning; Load turns that into an error when the file was named explicitly
// and holds no object at all. Syntax errors, alias bombs, complex keys and
// documents over DefaultMaxDocumentBytes are errors for their document only.
// A binary file is an error (a warning when Load meets it in a directory).
func ParseDocuments(file string, data []byte, origin Origin) ([]*Object, []Diagnostic) {
	return ParseDocumentsLimit(file, data, origin, DefaultMaxDocumentBytes)
}

// ParseDocumentsLimit is ParseDocuments with a bound on one document's size
// (<= 0 means DefaultMaxDocumentBytes).
func ParseDocumentsLimit(file string, data []byte, origin Origin, maxDocumentBytes int64) ([]*Object, []Diagnostic) {
	p := docParser{file: file, origin: origin, maxDoc: maxDocumentBytes, lines: origin == OriginFile}
	return p.parse(data)
}

// docParser holds what one file's parse needs.
type docParser struct {
	file   string
	origin Origin
	maxDoc int64
	// lines attaches LineResolvers and keeps Source.Line; off for rendered
	// output (Helm, Kustomize) whose lines map to nothing the user wrote.
	lines bool

	objs  []*Object
	diags []Diagnostic
	// elided lists the top-level fields left out of the current document.
	elided []string
}

func (p *docParser) diag(line int, warning bool, format string, args ...any) {
	p.diags = append(p.diags, Diagnostic{File: p.file, Line: line, Warning: warning, Message: fmt.Sprintf(format, args...)})
}

func (p *docParser) parse(data []byte) ([]*Object, []Diagnostic) {
	if p.maxDoc <= 0 {
		p.maxDoc = DefaultMaxDocumentBytes
	}
	if isBinary(data) {
		p.diag(0, false, msgBinary)
		return nil, p.diags
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	for _, c := range splitDocuments(data) {
		p.chunk(c)
	}
	return p.objs, p.diags
}

// isBinary reports data that cannot be a manifest: NUL bytes (also UTF-16)
// or bytes that are not UTF-8.
func isBinary(data []byte) bool {
	return bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data)
}

// chunk parses every document of one chunk (normally one).
func (p *docParser) chunk(c chunk) {
	if int64(len(c.data)) > p.maxDoc {
		p.diag(c.line, false, "document is %d bytes, over the limit of %d bytes; skipped", len(c.data), p.maxDoc)
		return
	}
	if isBlank(c.data) {
		return
	}
	p.elided = nil
	if d, ok := elideCRDSpec(c.data); ok {
		c.data, p.elided = d, []string{topLevelSpec}
	}
	if !disableFastPath {
		if m, entries, ok := fastParseDocument(c.data, true); ok {
			p.fastDocument(c, m, entries)
			return
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(c.data))
	for index := 0; ; index++ {
		var doc yaml.Node
		err := safeDecode(dec, &doc)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			line, reason := parserError(err)
			if line > 0 {
				line += c.line - 1
			} else {
				line = c.line
			}
			p.diag(line, false, "YAML syntax error: %s; document skipped", reason)
			return
		}
		p.document(c, index, &doc)
	}
}

// safeDecode guards against a panic in the YAML library on hostile input:
// one bad document must not stop the scan.
func safeDecode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("yaml: the YAML parser failed on this document")
		}
	}()
	return dec.Decode(n)
}

// isBlank reports a chunk holding only markers, comments and blank lines, so
// the parser is not started for license headers between separators.
func isBlank(data []byte) bool {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		l := data
		if i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		t := bytes.TrimSpace(l)
		if len(t) == 0 || t[0] == '#' || isMarker(l, "---") && isCommentOrEmpty(bytes.TrimSpace(l[3:])) || isMarker(l, "...") && isCommentOrEmpty(bytes.TrimSpace(l[3:])) {
			continue
		}
		return false
	}
	return true
}

func isCommentOrEmpty(b []byte) bool { return len(b) == 0 || b[0] == '#' }

// document turns one parsed document into objects.
func (p *docParser) document(c chunk, index int, doc *yaml.Node) {
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return // empty or comment-only
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" && root.Style&yaml.TaggedStyle == 0 {
		return // "---\n~" or an empty document with a stray marker
	}
	conv := converter{file: p.file, lineOff: c.line - 1}
	v, err := safeConvert(&conv, root)
	p.diags = append(p.diags, conv.warnings...)
	if err != nil {
		line, reason := parserError(err)
		if line == 0 {
			line = conv.line(root)
		}
		p.diag(line, false, "%s; document skipped", reason)
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		p.diag(conv.line(root), true, msgNotObject)
		return
	}
	var src *docSource
	if p.lines {
		// The chunk is copied so that the file's bytes are not kept for
		// the lifetime of the inventory.
		src = &docSource{data: bytes.Clone(c.data), lineOff: c.line - 1, docIndex: index}
	}
	var itemNodes []*yaml.Node
	if _, isList := m["items"].([]any); isList {
		itemNodes = listItemNodes(root)
	}
	p.emit(m, firstKeyLine(root)+conv.lineOff, conv.line(root), func(i int) (int, bool) {
		if i < len(itemNodes) {
			return firstKeyLine(itemNodes[i]) + conv.lineOff, true
		}
		return 0, false
	}, src)
}

// fastDocument turns a document read by the fast path into objects; its
// position index is already built.
func (p *docParser) fastDocument(c chunk, m map[string]any, entries []posEntry) {
	lineOff := c.line - 1
	var src *docSource
	if p.lines {
		src = &docSource{entries: entries, lineOff: lineOff}
		src.once.Do(func() {}) // nothing left to parse
	}
	var items []posEntry
	if _, isList := m["items"].([]any); isList {
		root := entries[0]
		for _, e := range entries[root.first : root.first+root.count] {
			if !e.item && e.key == "items" {
				items = entries[e.first : e.first+e.count]
			}
		}
	}
	rootLine := int(entries[0].line) + lineOff
	p.emit(m, rootLine, rootLine, func(i int) (int, bool) {
		if i < len(items) {
			return int(items[i].line) + lineOff, true
		}
		return 0, false
	}, src)
}

// emit adds the objects of one document: the document itself, or the items
// of a List. line is the document's first key, nodeLine the root node's
// line, itemLine the first key of a List item.
func (p *docParser) emit(m map[string]any, line, nodeLine int, itemLine func(int) (int, bool), src *docSource) {
	kind, _ := m["kind"].(string)
	if items, isList := m["items"].([]any); isList && strings.HasSuffix(kind, "List") {
		for i, it := range items {
			l, ok := itemLine(i)
			if !ok {
				l = nodeLine
			}
			im, ok := it.(map[string]any)
			if !ok {
				p.diag(l, true, "item %d of the %s is %s", i, "list", msgNotObject)
				continue
			}
			p.add(im, l, src, Join("items", i))
		}
		return
	}
	p.add(m, line, src, "")
}

func safeConvert(c *converter, n *yaml.Node) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("the document could not be converted")
		}
	}()
	return c.value(n)
}

func (p *docParser) add(m map[string]any, line int, src *docSource, prefix string) {
	s := finding.Source{File: p.file}
	if p.lines {
		s.Line = line
	}
	o, err := NewObject(m, p.origin, s)
	if err != nil {
		p.diag(line, true, "%s", notObjectMessage(err))
		return
	}
	o.Elided = p.elided
	if src != nil {
		o.SetLineResolver(&objectLines{doc: src, prefix: prefix, line: line})
	}
	p.objs = append(p.objs, o)
}

// notObjectMessage keeps NewObject's reason without echoing input (a bad
// apiVersion string is input).
func notObjectMessage(err error) string {
	if strings.HasPrefix(err.Error(), "bad apiVersion") {
		return "bad apiVersion; skipped"
	}
	return msgNotObject
}

// listItemNodes returns the item nodes of a List document's "items" key.
func listItemNodes(root *yaml.Node) []*yaml.Node {
	for root.Kind == yaml.AliasNode && root.Alias != nil {
		root = root.Alias
	}
	if root.Kind != yaml.MappingNode {
		return nil
	}
	var items *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i]; k.Kind == yaml.ScalarNode && k.Value == "items" {
			items = root.Content[i+1] // the last one wins, as in the values
		}
	}
	for items != nil && items.Kind == yaml.AliasNode {
		items = items.Alias
	}
	if items == nil || items.Kind != yaml.SequenceNode {
		return nil
	}
	return items.Content
}

// firstKeyLine is the line of a mapping's first key (the node's own line
// otherwise); for a flow mapping "{" may sit on an earlier line.
func firstKeyLine(n *yaml.Node) int {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.MappingNode && len(n.Content) > 0 {
		return n.Content[0].Line
	}
	return n.Line
}
