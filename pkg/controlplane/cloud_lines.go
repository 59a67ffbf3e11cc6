package controlplane

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// cloudFieldLines maps the path of every field of a JSON document
// ("cluster.resourcesVpcConfig.publicAccessCidrs", "a.b[2].c") to the line
// of its key (of the value, for list elements). The first occurrence of a
// path wins. A malformed document yields what was read before the error:
// lines are a convenience, the decoder reports the error itself.
func cloudFieldLines(data []byte) map[string]int {
	lines := map[string]int{}
	dec := json.NewDecoder(bytes.NewReader(data))
	// One frame per open object or list: the path of the container, and
	// for a list the index of the next element.
	type frame struct {
		path   string
		isList bool
		index  int
		key    string // object: the key whose value comes next
		expect bool   // object: the next token is a value
	}
	var stack []frame
	lineOf := cloudLineCounter(data)
	// valuePath is the path of the value the next token starts, and records
	// list elements' lines.
	valuePath := func(off int64) string {
		if len(stack) == 0 {
			return ""
		}
		top := &stack[len(stack)-1]
		if top.isList {
			p := top.path + "[" + strconv.Itoa(top.index) + "]"
			top.index++
			if _, ok := lines[p]; !ok {
				lines[p] = lineOf(off + cloudSkipSpace(data[off:]))
			}
			return p
		}
		top.expect = false
		return cloudJoin(top.path, top.key)
	}
	for {
		off := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return lines
		}
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			if !top.isList && !top.expect {
				if d, ok := tok.(json.Delim); ok && d == '}' {
					stack = stack[:len(stack)-1]
					continue
				}
				key, _ := tok.(string)
				top.key, top.expect = key, true
				p := cloudJoin(top.path, key)
				if _, ok := lines[p]; !ok {
					lines[p] = lineOf(off + cloudSkipSpace(data[off:]))
				}
				continue
			}
			if d, ok := tok.(json.Delim); ok && d == ']' && top.isList {
				stack = stack[:len(stack)-1]
				continue
			}
		}
		p := valuePath(off)
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{path: p})
		case json.Delim('['):
			stack = append(stack, frame{path: p, isList: true})
		}
	}
}

// cloudJoin appends key to a dotted path.
func cloudJoin(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// cloudSkipSpace counts the separators (white space, commas, colons) before
// the next token: the decoder's offset sits before them.
func cloudSkipSpace(b []byte) int64 {
	var n int64
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n', ',', ':':
			n++
		default:
			return n
		}
	}
	return n
}

// cloudLineCounter returns a function from byte offsets to 1-based lines;
// offsets only grow while a document is walked, so it counts incrementally.
func cloudLineCounter(data []byte) func(off int64) int {
	line, pos := 1, int64(0)
	return func(off int64) int {
		if off < pos {
			line, pos = 1, 0
		}
		if off > int64(len(data)) {
			off = int64(len(data))
		}
		line += bytes.Count(data[pos:off], []byte{'\n'})
		pos = off
		return line
	}
}

// cloudLineAt is the 1-based line of byte offset off.
func cloudLineAt(data []byte, off int64) int {
	return cloudLineCounter(data)(off)
}
