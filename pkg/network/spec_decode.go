package network

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder reads a spec's YAML nodes strictly: unknown or repeated keys,
// wrong types and bad values are errors naming the file, line and field.
type decoder struct {
	file string
}

// at is the position of a node.
func (d *decoder) at(n *yaml.Node, path string) Pos {
	line := 0
	if n != nil {
		line = n.Line
	}
	return Pos{File: d.file, Line: line, Path: path}
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode && depth < 16; depth++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

func kindName(n *yaml.Node) string {
	switch {
	case n == nil || isNull(n):
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.ScalarNode && n.Tag == "!!str":
		return "a string"
	case n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float"):
		return "a number"
	case n.Kind == yaml.ScalarNode && n.Tag == "!!bool":
		return "a boolean"
	}
	return "a " + strings.TrimPrefix(n.Tag, "!!")
}

// field is one value of a mapping with its path.
type field struct {
	node *yaml.Node
	path string
}

// mapping reads a mapping whose keys must be among known, and returns the
// values by key. A key is written once.
func (d *decoder) mapping(n *yaml.Node, path string, known ...string) (map[string]field, error) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, d.at(n, path).Errorf("want a mapping, got %s", kindName(n))
	}
	out := make(map[string]field, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
			return nil, d.at(k, path).Errorf("keys must be plain names (no merge keys or complex keys)")
		}
		kpath := join(path, k.Value)
		if !contains(known, k.Value) {
			msg := fmt.Sprintf("unknown field %q", k.Value)
			if s := suggest(k.Value, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				msg += " (known: " + strings.Join(known, ", ") + ")"
			}
			return nil, d.at(k, path).Errorf("%s", msg)
		}
		if _, dup := out[k.Value]; dup {
			return nil, d.at(k, kpath).Errorf("written twice")
		}
		out[k.Value] = field{node: v, path: kpath}
	}
	return out, nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// suggest returns the known key closest to a mistyped one, if close.
func suggest(s string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if strings.EqualFold(k, s) {
			return k
		}
		if d := distance(strings.ToLower(s), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// distance is the Levenshtein distance of two short strings.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// str reads a string scalar (numbers and booleans are not strings here:
// quote them).
func (d *decoder) str(f field) (string, error) {
	n := resolve(f.node)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return "", d.at(n, f.path).Errorf("want a string, got %s", kindName(n))
	}
	return n.Value, nil
}

// scalar reads a string or number scalar as text.
func (d *decoder) scalar(f field) (string, error) {
	n := resolve(f.node)
	if n == nil || n.Kind != yaml.ScalarNode || (n.Tag != "!!str" && n.Tag != "!!int") {
		return "", d.at(n, f.path).Errorf("want a string or a number, got %s", kindName(n))
	}
	return n.Value, nil
}

// seq reads a list; each item gets its index in its path.
func (d *decoder) seq(f field) ([]field, error) {
	n := resolve(f.node)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil, d.at(n, f.path).Errorf("want a list, got %s", kindName(n))
	}
	out := make([]field, len(n.Content))
	for i, c := range n.Content {
		out[i] = field{node: c, path: fmt.Sprintf("%s[%d]", f.path, i)}
	}
	return out, nil
}

// strList reads a list of strings.
func (d *decoder) strList(f field) ([]string, error) {
	items, err := d.seq(f)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, err := d.str(it)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// stringMap reads a mapping of string to string (label sets).
func (d *decoder) stringMap(f field) (map[string]string, error) {
	n := resolve(f.node)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, d.at(n, f.path).Errorf("want a mapping, got %s", kindName(n))
	}
	out := make(map[string]string, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolve(n.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
			return nil, d.at(k, f.path).Errorf("keys must be plain names")
		}
		v, err := d.scalar(field{node: n.Content[i+1], path: join(f.path, k.Value)})
		if err != nil {
			return nil, err
		}
		if _, dup := out[k.Value]; dup {
			return nil, d.at(k, join(f.path, k.Value)).Errorf("written twice")
		}
		out[k.Value] = v
	}
	return out, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError places a YAML parser error at its line.
func (d *decoder) syntaxError(err error) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &SpecError{File: d.file, Line: line, Message: "not valid YAML: " + m[2]}
	}
	return &SpecError{File: d.file, Message: "not valid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}
