package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kharden/kharden/internal/jsonfield"
)

// The configuration is decoded through JSON (sigs.k8s.io/yaml), whose errors
// know neither lines nor, for unknown fields, where the field is. These
// helpers read the same document as YAML nodes to say which line an error is
// about.

// unknownFields lists every mapping key the Go type at its place has no
// field for, each a LineError. Field names match
// case-insensitively, as encoding/json does.
func unknownFields(root *yaml.Node) []error {
	var errs []error
	budget := maxVisits
	walkUnknown(root, reflect.TypeFor[Config](), "", &errs, &budget)
	return errs
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

// maxVisits bounds every walk: aliases can make a small document a huge
// tree, and a line number is not worth more than this.
const maxVisits = 100_000

func walkUnknown(n *yaml.Node, t reflect.Type, path string, errs *[]error, budget *int) {
	n = resolve(n)
	if n == nil || *budget <= 0 {
		return
	}
	*budget--
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return
		}
		fields := jsonfield.Fields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" {
				continue
			}
			ft, ok := lookupField(fields, k.Value)
			if !ok {
				names := make([]string, 0, len(fields))
				for name := range fields {
					names = append(names, name)
				}
				sort.Strings(names)
				*errs = append(*errs, &LineError{Line: k.Line, Err: fmt.Errorf("%s: unknown field (known here: %s)",
					join(path, k.Value), strings.Join(names, ", "))})
				continue
			}
			walkUnknown(v, ft, join(path, k.Value), errs, budget)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			walkUnknown(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value), errs, budget)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, item := range n.Content {
			walkUnknown(item, t.Elem(), path+"["+strconv.Itoa(i)+"]", errs, budget)
		}
	}
}

func lookupField(fields map[string]reflect.Type, key string) (reflect.Type, bool) {
	if t, ok := fields[key]; ok {
		return t, true
	}
	for name, t := range fields {
		if strings.EqualFold(name, key) {
			return t, true
		}
	}
	return nil, false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && (n.Kind == yaml.DocumentNode || n.Kind == yaml.AliasNode) {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
			continue
		}
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	return n
}

// lineOf finds the line of the node at a path such as "exceptions[2].scope"
// or "detect.maintenanceWindows[0]"; an index left out ("exceptions.rules")
// takes the first item that has the rest of the path. 0 when not found.
func lineOf(root *yaml.Node, path string) int {
	steps := splitPath(path)
	if len(steps) == 0 {
		return 0
	}
	budget := maxVisits
	return find(resolve(root), steps, 0, &budget)
}

type step struct {
	key   string
	index int // -1 for a key
}

var stepRE = regexp.MustCompile(`([^.\[\]]+)|\[(\d+)\]`)

func splitPath(path string) []step {
	var out []step
	for _, m := range stepRE.FindAllStringSubmatch(path, -1) {
		if m[2] != "" {
			i, _ := strconv.Atoi(m[2])
			out = append(out, step{index: i})
			continue
		}
		out = append(out, step{key: m[1], index: -1})
	}
	return out
}

func find(n *yaml.Node, steps []step, line int, budget *int) int {
	n = resolve(n)
	if n == nil || *budget <= 0 {
		return 0
	}
	*budget--
	if len(steps) == 0 {
		if line == 0 {
			return n.Line
		}
		return line
	}
	s := steps[0]
	switch {
	case s.index >= 0:
		if n.Kind == yaml.SequenceNode && s.index < len(n.Content) {
			return find(n.Content[s.index], steps[1:], n.Content[s.index].Line, budget)
		}
	case n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if strings.EqualFold(n.Content[i].Value, s.key) {
				if l := find(n.Content[i+1], steps[1:], n.Content[i].Line, budget); l > 0 {
					return l
				}
			}
		}
	case n.Kind == yaml.SequenceNode:
		// An index the path leaves out: the first item that has the rest.
		for _, item := range n.Content {
			if l := find(item, steps, 0, budget); l > 0 {
				return l
			}
		}
	}
	return 0
}

var (
	// A message that starts with a path: "exceptions[0]: missing owner",
	// "rollout.canary.selector "a in (b": ...", "detect: window ...".
	leadingPath = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*|\[\d+\])*)[: ]`)
	// encoding/json's type errors: "cannot unmarshal string into Go struct
	// field Exception.exceptions.rules of type []finding.RuleID".
	typeError = regexp.MustCompile(`cannot unmarshal (\w+) into Go struct field \w+\.([\w.]+) of type (\S+)`)
	// The YAML parser's own errors carry their line.
	syntaxError = regexp.MustCompile(`yaml: line (\d+): (.*)`)
	quoted      = regexp.MustCompile(`"([^"]+)"`)
)

// LineError is a configuration error about one line of the file.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// withLines turns each error (of a joined list, each on its own) into a
// LineError when the line it is about can be told.
func withLines(root *yaml.Node, err error) error {
	if err == nil {
		return nil
	}
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	out := make([]error, 0, len(list))
	for _, e := range list {
		out = append(out, withLine(root, e))
	}
	if len(out) == 1 {
		return out[0]
	}
	return errors.Join(out...)
}

func withLine(root *yaml.Node, err error) error {
	var le *LineError
	if errors.As(err, &le) {
		return err
	}
	msg := err.Error()
	if m := syntaxError.FindStringSubmatch(msg); m != nil {
		l, _ := strconv.Atoi(m[1])
		return &LineError{Line: l, Err: errors.New("not valid YAML: " + m[2])}
	}
	if root == nil {
		return err
	}
	if m := typeError.FindStringSubmatch(msg); m != nil {
		err = fmt.Errorf("%s: got %s, want %s", m[2], kindWord(m[1]), typeWord(m[3]))
		if l := lineOf(root, m[2]); l > 0 {
			return &LineError{Line: l, Err: err}
		}
		return err
	}
	if m := leadingPath.FindStringSubmatch(msg); m != nil {
		if l := lineOf(root, m[1]); l > 0 {
			return &LineError{Line: l, Err: err}
		}
	}
	// No path (a value's own decoder failed, e.g. an unknown severity):
	// the line of the first scalar holding a quoted value of the message.
	for _, m := range quoted.FindAllStringSubmatch(msg, -1) {
		budget := maxVisits
		if l := valueLine(root, m[1], &budget); l > 0 {
			return &LineError{Line: l, Err: err}
		}
	}
	return err
}

func valueLine(n *yaml.Node, v string, budget *int) int {
	n = resolve(n)
	if n == nil || *budget <= 0 {
		return 0
	}
	*budget--
	if n.Kind == yaml.ScalarNode {
		if n.Value == v {
			return n.Line
		}
		return 0
	}
	for i, c := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 0 {
			continue // keys
		}
		if l := valueLine(c, v, budget); l > 0 {
			return l
		}
	}
	return 0
}

// kindWord names a JSON value kind as a YAML user thinks of it.
func kindWord(k string) string {
	switch k {
	case "string":
		return "a string"
	case "number":
		return "a number"
	case "bool":
		return "true/false"
	case "array":
		return "a list"
	case "object":
		return "a mapping"
	}
	return k
}

// typeWord names a Go type as a YAML user thinks of it.
func typeWord(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["), strings.Contains(t, "."):
		return "a mapping"
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"), strings.HasPrefix(t, "float"):
		return "a number"
	}
	return t
}
