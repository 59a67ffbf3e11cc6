package inventory

import "bytes"

// chunk is the text of one or more YAML documents between two document
// markers, with the 1-based line of its first line in the file.
type chunk struct {
	data []byte
	line int
}

// splitDocuments cuts a file at document markers ("---" and "..." at
// column 0, followed by a blank or the end of the line), as kubectl's
// YAMLReader does. A chunk starts with its "---" line so that a marker
// carrying content ("--- # comment", "--- {a: 1}") still parses and every
// line keeps its number. Cutting before parsing lets one bad document fail
// alone: the YAML parser cannot resume after a syntax error.
func splitDocuments(data []byte) []chunk {
	var out []chunk
	start, startLine := 0, 1
	line := 1
	for pos := 0; pos < len(data); {
		end := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if end >= 0 {
			next = pos + end + 1
		}
		l := data[pos:next]
		switch {
		case isMarker(l, "---"):
			if pos > start {
				out = append(out, chunk{data: data[start:pos], line: startLine})
			}
			start, startLine = pos, line
		case isMarker(l, "..."):
			out = append(out, chunk{data: data[start:next], line: startLine})
			start, startLine = next, line+1
		}
		pos = next
		line++
	}
	if start < len(data) {
		out = append(out, chunk{data: data[start:], line: startLine})
	}
	return out
}

func isMarker(line []byte, marker string) bool {
	if len(line) < 3 || string(line[:3]) != marker {
		return false
	}
	if len(line) == 3 {
		return true
	}
	switch line[3] {
	case ' ', '\t', '\r', '\n':
		return true
	}
	return false
}
