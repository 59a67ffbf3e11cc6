package inventory

import "bytes"

// CustomResourceDefinition schemas are most of the bytes of a typical
// repository of manifests (three quarters of the shared corpus) and no check
// reads them. A block-style CRD document is therefore parsed without its
// top-level spec: the lines of spec are blanked (so every other line keeps
// its number) and Object.Elided says what was left out. The object stays in
// the inventory with its apiVersion, kind, metadata and status.

var (
	crdKind      = []byte("CustomResourceDefinition")
	crdGroup     = []byte("apiextensions.k8s.io/")
	topLevelSpec = "spec"
)

// elideCRDSpec returns the document with its top-level spec blanked when
// it is a block-style apiextensions.k8s.io CustomResourceDefinition.
func elideCRDSpec(data []byte) ([]byte, bool) {
	if !bytes.Contains(data, crdKind) || !bytes.Contains(data, crdGroup) {
		return data, false
	}
	var isCRD, isGroup bool
	specStart, specEnd := -1, -1
	off := 0
	for off < len(data) {
		end := bytes.IndexByte(data[off:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += off
		}
		line := data[off:end]
		topKey := len(line) > 0 && line[0] != ' ' && line[0] != '\t' && line[0] != '#' && line[0] != '-'
		if topKey {
			key, value := topLevelPair(line)
			if specStart >= 0 && specEnd < 0 {
				specEnd = off
			}
			switch key {
			case "kind":
				isCRD = value == string(crdKind)
			case "apiVersion":
				isGroup = bytes.HasPrefix([]byte(value), crdGroup)
			case topLevelSpec:
				if value != "" || specStart >= 0 {
					return data, false // flow-style or repeated spec: leave it to the parser
				}
				specStart = off
			}
		}
		off = end + 1
	}
	if !isCRD || !isGroup || specStart < 0 {
		return data, false
	}
	if specEnd < 0 {
		specEnd = len(data)
	}
	out := make([]byte, 0, len(data)-(specEnd-specStart))
	out = append(out, data[:specStart]...)
	out = append(out, bytes.Repeat([]byte{'\n'}, bytes.Count(data[specStart:specEnd], []byte{'\n'}))...)
	out = append(out, data[specEnd:]...)
	return out, true
}

// topLevelPair reads "key: value" of a column-0 line, value without a
// trailing comment or quotes; key is "" when the line is not a simple pair.
func topLevelPair(line []byte) (key, value string) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 || (i+1 < len(line) && line[i+1] != ' ' && line[i+1] != '\r') {
		return "", ""
	}
	v := line[i+1:]
	if j := bytes.Index(v, []byte(" #")); j >= 0 {
		v = v[:j]
	}
	v = bytes.Trim(bytes.TrimSpace(v), `"'`)
	return string(line[:i]), string(v)
}
