package inventory

import (
	"fmt"
	"strconv"
	"strings"
)

// Field paths name a field inside an object, the way kubectl explain and
// SARIF logical locations do: "spec.template.spec.containers[0].image".
// Keys that are not plain identifiers are quoted:
// "metadata.annotations['kharden.dev/ignore']".

// PathElem is one step of a field path: a map key or a list index.
type PathElem struct {
	Key   string
	Index int // used when IsIndex
	IsIdx bool
}

// Join appends map keys and list indexes to a path. Arguments are string keys
// or int indexes.
func Join(base string, elems ...any) string {
	var b strings.Builder
	b.WriteString(base)
	for _, e := range elems {
		switch v := e.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", v)
		case string:
			if isPlainKey(v) {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(v)
			} else {
				b.WriteString("['")
				b.WriteString(strings.ReplaceAll(v, "'", `\'`))
				b.WriteString("']")
			}
		default:
			panic(fmt.Sprintf("inventory.Join: unsupported path element %T", e))
		}
	}
	return b.String()
}

func isPlainKey(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// ParsePath splits a field path into its elements.
func ParsePath(p string) ([]PathElem, error) {
	var out []PathElem
	i := 0
	for i < len(p) {
		switch p[i] {
		case '.':
			i++
		case '[':
			if i+1 < len(p) && p[i+1] == '\'' {
				j := i + 2
				var key strings.Builder
				for j < len(p) && p[j] != '\'' {
					if p[j] == '\\' && j+1 < len(p) {
						j++
					}
					key.WriteByte(p[j])
					j++
				}
				if j+1 >= len(p) || p[j+1] != ']' {
					return nil, fmt.Errorf("field path %q: unterminated quoted key", p)
				}
				out = append(out, PathElem{Key: key.String()})
				i = j + 2
				continue
			}
			j := strings.IndexByte(p[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("field path %q: unterminated index", p)
			}
			n, err := strconv.Atoi(p[i+1 : i+j])
			if err != nil {
				return nil, fmt.Errorf("field path %q: bad index: %w", p, err)
			}
			out = append(out, PathElem{Index: n, IsIdx: true})
			i += j + 1
		default:
			j := i
			for j < len(p) && p[j] != '.' && p[j] != '[' {
				j++
			}
			out = append(out, PathElem{Key: p[i:j]})
			i = j
		}
	}
	return out, nil
}
