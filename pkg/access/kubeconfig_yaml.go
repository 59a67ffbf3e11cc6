package access

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// kubeconfigDoc is the YAML node tree of a kubeconfig, kept beside
// client-go's decoding for what the decoder forgets: the line of each entry,
// and where a field the decoder rejected is.
type kubeconfigDoc struct {
	file string
	root *yaml.Node // a mapping
	// declaredConfig is set when the file says kind: Config.
	declaredConfig bool
	userLines      map[string]int // users[] entry name -> line
	clusterLines   map[string]int // clusters[] entry name -> line
}

// kubeconfigSection describes one list of named entries of a kubeconfig.
type kubeconfigSection struct {
	key   string   // users
	entry string   // "user", for messages
	body  string   // the key of the entry's body: user
	data  []string // base64 fields of the body
}

var kubeconfigSections = []kubeconfigSection{
	{key: "users", entry: "user", body: "user", data: []string{"client-certificate-data", "client-key-data"}},
	{key: "clusters", entry: "cluster", body: "cluster", data: []string{"certificate-authority-data"}},
	{key: "contexts", entry: "context", body: "context"},
}

// parseKubeconfigDoc parses data as YAML and checks the shape client-go
// expects of the parts kharden reads, so that a broken kubeconfig gets an
// error with a line rather than the decoder's. Messages never quote values.
func parseKubeconfigDoc(file string, data []byte) (*kubeconfigDoc, error) {
	var top yaml.Node
	if err := yaml.Unmarshal(data, &top); err != nil {
		line, msg := kcYAMLErrorLine(err)
		return nil, &KubeconfigError{File: file, Line: line, Msg: "invalid YAML: " + msg}
	}
	d := &kubeconfigDoc{file: file, userLines: map[string]int{}, clusterLines: map[string]int{}}
	if top.Kind != yaml.DocumentNode || len(top.Content) == 0 || kcIsNull(kcDeref(top.Content[0])) {
		return nil, &KubeconfigError{File: file, Msg: "empty file, not a kubeconfig"}
	}
	d.root = kcDeref(top.Content[0])
	if d.root.Kind != yaml.MappingNode {
		return nil, d.errorf(d.root, "not a kubeconfig: the top level is %s, want a mapping", kcDescribe(d.root))
	}
	// client-go defaults an empty kind and apiVersion to Config and v1.
	if k, v := kcLookup(d.root, "kind"); !kcIsEmpty(v) {
		if !kcIsString(v) || v.Value != "Config" {
			return nil, d.errorf(k, "not a kubeconfig: kind is %s, want Config", kcQuoteShort(v))
		}
		d.declaredConfig = true
	}
	if k, v := kcLookup(d.root, "apiVersion"); !kcIsEmpty(v) && (!kcIsString(v) || v.Value != "v1") {
		return nil, d.errorf(k, "not a kubeconfig: apiVersion is %s, want v1", kcQuoteShort(v))
	}
	for _, s := range kubeconfigSections {
		lines, err := d.section(s)
		if err != nil {
			return nil, err
		}
		switch s.key {
		case "users":
			d.userLines = lines
		case "clusters":
			d.clusterLines = lines
		}
	}
	return d, nil
}

// section checks a list of named entries and returns the line of each name.
func (d *kubeconfigDoc) section(s kubeconfigSection) (map[string]int, error) {
	lines := map[string]int{}
	_, list := kcLookup(d.root, s.key)
	if list == nil || kcIsNull(list) {
		return lines, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, d.errorf(list, "%s is %s, want a list of %s entries", s.key, kcDescribe(list), s.entry)
	}
	for i, item := range list.Content {
		item = kcDeref(item)
		if item.Kind != yaml.MappingNode {
			return nil, d.errorf(item, "%s[%d] is %s, want a mapping with name and %s", s.key, i, kcDescribe(item), s.body)
		}
		name := ""
		if _, n := kcLookup(item, "name"); n != nil && !kcIsNull(n) {
			if !kcIsString(n) {
				return nil, d.errorf(n, "%s[%d].name is %s, want a string", s.key, i, kcDescribe(n))
			}
			name = n.Value
		}
		if first, dup := lines[name]; dup {
			return nil, d.errorf(item, "duplicate %s name %q (first on line %d)", s.entry, name, first)
		}
		lines[name] = item.Line
		_, body := kcLookup(item, s.body)
		if body == nil || kcIsNull(body) {
			continue
		}
		if body.Kind != yaml.MappingNode {
			return nil, d.errorf(body, "%s[name=%s].%s is %s, want a mapping", s.key, name, s.body, kcDescribe(body))
		}
		for _, field := range s.data {
			_, v := kcLookup(body, field)
			if v == nil || kcIsNull(v) {
				continue
			}
			if !kcIsString(v) {
				return nil, d.errorf(v, "%s[name=%s].%s.%s is %s, want base64 text", s.key, name, s.body, field, kcDescribe(v))
			}
			if _, err := base64.StdEncoding.DecodeString(kcStripNewlines(v.Value)); err != nil {
				return nil, d.errorf(v, "%s[name=%s].%s.%s is not valid base64", s.key, name, s.body, field)
			}
		}
	}
	return lines, nil
}

// kcJSONTypeError matches the decoder's complaint about a field of the wrong
// type: "json: cannot unmarshal number into Go struct field
// AuthInfo.users.user.token of type string".
var kcJSONTypeError = regexp.MustCompile(`cannot unmarshal (\w+) into Go (?:struct field \w+\.([\w.-]+)|value) of type (\S+)`)

// loadError turns an error of clientcmd.Load into one with a line. Load's
// own messages can quote whole entries (its duplicate-name error prints the
// list, credentials included), so they are never passed on verbatim.
func (d *kubeconfigDoc) loadError(err error) error {
	m := kcJSONTypeError.FindStringSubmatch(err.Error())
	if m == nil {
		return &KubeconfigError{File: d.file, Msg: "not a valid kubeconfig: " + kcLoadErrorSummary(err)}
	}
	got, field, want := m[1], m[2], kcGoTypeWords(m[3])
	if field == "" {
		return &KubeconfigError{File: d.file, Line: d.root.Line, Msg: fmt.Sprintf("not a kubeconfig: the top level is %s, want a mapping", kcJSONWords(got))}
	}
	node, path := d.locate(strings.Split(field, "."), got)
	line := d.root.Line
	if node != nil {
		line = node.Line
	}
	return &KubeconfigError{File: d.file, Line: line, Msg: fmt.Sprintf("%s is %s, want %s", path, kcJSONWords(got), want)}
}

// kcLoadErrorSummary keeps the kind of a decoder error and drops anything that
// could be a value.
func kcLoadErrorSummary(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "illegal base64"):
		return "a certificate or key field is not valid base64"
	case strings.Contains(msg, "duplicate name"):
		return "duplicate entry name"
	case strings.HasPrefix(msg, "yaml: "):
		msg = strings.SplitN(msg, "\n", 2)[0]
		return "invalid YAML: " + kcQuotedText.ReplaceAllString(strings.TrimPrefix(msg, "yaml: "), "…")
	}
	return "client-go could not decode it"
}

// kcQuotedText is text a YAML error quotes from the input.
var kcQuotedText = regexp.MustCompile("`[^`]*`|\"[^\"]*\"|'[^']*'")

// locate finds the nodes at a field path of the decoder (users.user.token),
// through lists, and returns the first whose JSON type is got (the one the
// decoder choked on), with its path as findings write it.
func (d *kubeconfigDoc) locate(fields []string, got string) (*yaml.Node, string) {
	type hit struct {
		node *yaml.Node
		path string
	}
	var hits []hit
	var walk func(n *yaml.Node, rest []string, path string)
	walk = func(n *yaml.Node, rest []string, path string) {
		n = kcDeref(n)
		if len(rest) == 0 {
			hits = append(hits, hit{n, path})
			return
		}
		switch n.Kind {
		case yaml.MappingNode:
			if _, v := kcLookup(n, rest[0]); v != nil {
				sep := "."
				if path == "" {
					sep = ""
				}
				walk(v, rest[1:], path+sep+rest[0])
			}
		case yaml.SequenceNode:
			for i, item := range n.Content {
				label := strconv.Itoa(i)
				if _, name := kcLookup(kcDeref(item), "name"); name != nil && kcIsString(name) {
					label = "name=" + name.Value
				}
				walk(item, rest, path+"["+label+"]")
			}
		}
	}
	walk(d.root, fields, "")
	for _, h := range hits {
		if kcJSONKind(h.node) == got {
			return h.node, h.path
		}
	}
	if len(hits) > 0 {
		return hits[0].node, hits[0].path
	}
	return nil, strings.Join(fields, ".")
}

// kcYAMLErrorLine splits "yaml: line 3: msg" into 3 and msg.
func kcYAMLErrorLine(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				return n, tail
			}
		}
	}
	return 0, msg
}

func (d *kubeconfigDoc) errorf(n *yaml.Node, format string, args ...any) error {
	return &KubeconfigError{File: d.file, Line: n.Line, Msg: fmt.Sprintf(format, args...)}
}

// kcLookup returns the key and value nodes of a mapping's key.
func kcLookup(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return k, kcDeref(m.Content[i+1])
		}
	}
	return nil, nil
}

// kcDeref follows an alias to its anchor, once: kharden reads only known
// paths, so an alias bomb is never expanded.
func kcDeref(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

func kcIsNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// kcIsEmpty reports a missing or null node, or an empty string.
func kcIsEmpty(n *yaml.Node) bool {
	return kcIsNull(n) || (kcIsString(n) && n.Value == "")
}

func kcIsString(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str"
}

// kcYAML11Bools are the words YAML 1.1 (which client-go's decoder follows)
// reads as booleans and YAML 1.2 as strings.
var kcYAML11Bools = map[string]bool{"y": true, "yes": true, "n": true, "no": true, "on": true, "off": true}

// kcJSONKind names the JSON type client-go's decoder sees for a node.
func kcJSONKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "object"
	case yaml.SequenceNode:
		return "array"
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		return "number"
	case "!!bool":
		return "bool"
	case "!!null":
		return "null"
	}
	if n.Style == 0 && kcYAML11Bools[strings.ToLower(n.Value)] {
		return "bool"
	}
	return "string"
}

// kcDescribe names the YAML type of a node for a message, without its value.
func kcDescribe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return kcJSONWords(kcJSONKind(n))
}

// kcJSONWords turns a JSON type name into words.
func kcJSONWords(kind string) string {
	switch kind {
	case "object":
		return "a mapping"
	case "array":
		return "a list"
	case "number":
		return "a number"
	case "bool":
		return "a boolean"
	case "null":
		return "null"
	}
	return "a string"
}

// kcGoTypeWords turns a Go type of the decoder into words.
func kcGoTypeWords(t string) string {
	switch {
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case t == "[]uint8":
		return "base64 text"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"), strings.HasPrefix(t, "float"):
		return "a number"
	}
	return "a mapping"
}

// kcQuoteShort quotes a scalar that is not a credential (kind, apiVersion) for
// a message, cut short; other nodes are described by type.
func kcQuoteShort(n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode {
		return kcDescribe(n)
	}
	if r := []rune(n.Value); len(r) > 40 {
		return strconv.Quote(string(r[:40]) + "…")
	}
	return strconv.Quote(n.Value)
}

// kcStripNewlines removes the line breaks that encoding/json's base64 decoding
// ignores.
func kcStripNewlines(s string) string {
	return strings.NewReplacer("\n", "", "\r", "").Replace(s)
}
