package inventory

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxAliasNodes bounds the values produced by expanding aliases and merge
// keys in one document. Real manifests reuse a few small anchors; an alias
// bomb ("billion laughs") needs millions. Past the bound the document fails
// alone, before it can use much memory or time.
const maxAliasNodes = 100_000

// docError is a problem that makes one document unreadable; line is in the
// file (0 when unknown).
type docError struct {
	line int
	msg  string
}

func (e *docError) Error() string { return e.msg }

// converter turns a yaml.Node tree into unstructured values the way kubectl
// reads manifests (sigs.k8s.io/yaml: YAML 1.1 scalars through JSON), but on
// the Node API so that every position and quirk is ours to handle.
type converter struct {
	file    string
	lineOff int // added to node lines to get file lines
	// aliasDepth > 0 while expanding an alias or a merge source.
	aliasDepth int
	aliasNodes int
	warnings   []Diagnostic
	dupSeen    map[int]bool // lines of duplicate keys already reported
}

func (c *converter) line(n *yaml.Node) int { return n.Line + c.lineOff }

// count bounds alias expansion; n is where the bound was passed.
func (c *converter) count(n *yaml.Node) error {
	if c.aliasDepth > 0 {
		c.aliasNodes++
		if c.aliasNodes > maxAliasNodes {
			return &docError{line: c.line(n), msg: fmt.Sprintf("aliases expand to more than %d values (alias bomb?)", maxAliasNodes)}
		}
	}
	return nil
}

// value converts one node.
func (c *converter) value(n *yaml.Node) (any, error) {
	if err := c.count(n); err != nil {
		return nil, err
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return c.scalar(n)
	case yaml.MappingNode:
		return c.mapping(n)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			v, err := c.value(item)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, &docError{line: c.line(n), msg: "alias to an unknown anchor"}
		}
		c.aliasDepth++
		v, err := c.value(n.Alias)
		c.aliasDepth--
		return v, err
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0])
	}
	return nil, &docError{line: c.line(n), msg: "unknown YAML node kind"}
}

// mapping converts a mapping: non-string keys become their string form,
// duplicate keys keep the last value (with a warning), merge keys ("<<")
// add the keys of their source mappings that the mapping does not set
// itself, the first source winning.
func (c *converter) mapping(n *yaml.Node) (any, error) {
	out := make(map[string]any, len(n.Content)/2)
	var lines map[string]int // key -> line of the key, for duplicates
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			merges = append(merges, v)
			continue
		}
		key, err := c.key(k)
		if err != nil {
			return nil, err
		}
		val, err := c.value(v)
		if err != nil {
			return nil, err
		}
		if _, dup := out[key]; dup {
			c.duplicate(key, k, lines[key])
		}
		if lines == nil {
			lines = make(map[string]int, len(n.Content)/2)
		}
		lines[key] = c.line(k)
		out[key] = val
	}
	for _, m := range merges {
		if err := c.merge(out, m); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *converter) duplicate(key string, k *yaml.Node, first int) {
	l := c.line(k)
	if c.dupSeen[l] {
		return // the same mapping met again through an alias
	}
	if c.dupSeen == nil {
		c.dupSeen = map[int]bool{}
	}
	c.dupSeen[l] = true
	c.warnings = append(c.warnings, Diagnostic{
		File: c.file, Line: l, Warning: true,
		Message: fmt.Sprintf("duplicate key %s (first at line %d); the last value wins, as kubectl does", quoteKey(key), first),
	})
}

// quoteKey names a key in a message. Keys locate a problem and are not
// secret (Secrets keep their keys after redaction), but a very long or
// unprintable key is not worth echoing.
func quoteKey(k string) string {
	if len(k) > 64 || strings.IndexFunc(k, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\uFFFD' }) >= 0 {
		return "(unprintable or long key)"
	}
	return strconv.Quote(k)
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Tag == "!!merge" && k.Style&^yaml.TaggedStyle == 0 && k.Value == "<<"
}

// merge applies one merge-key value: a mapping, an alias to one, or a
// sequence of those.
func (c *converter) merge(out map[string]any, v *yaml.Node) error {
	c.aliasDepth++
	defer func() { c.aliasDepth-- }()
	src := v
	for src.Kind == yaml.AliasNode && src.Alias != nil {
		if err := c.count(src); err != nil {
			return err
		}
		src = src.Alias
	}
	switch src.Kind {
	case yaml.MappingNode:
		val, err := c.value(src)
		if err != nil {
			return err
		}
		for k, x := range val.(map[string]any) {
			if _, set := out[k]; !set {
				out[k] = x
			}
		}
		return nil
	case yaml.SequenceNode:
		for _, item := range src.Content {
			it := item
			for it.Kind == yaml.AliasNode && it.Alias != nil {
				it = it.Alias
			}
			if it.Kind != yaml.MappingNode {
				return &docError{line: c.line(item), msg: "merge key value must be a mapping or a list of mappings"}
			}
			if err := c.merge(out, it); err != nil {
				return err
			}
		}
		return nil
	}
	return &docError{line: c.line(v), msg: "merge key value must be a mapping or a list of mappings"}
}

// key converts a mapping key to its string form as sigs.k8s.io/yaml does:
// integers in decimal, floats in the shortest 32-bit form, booleans as
// true/false. A null key becomes "null" (kubectl rejects it; a scanner keeps
// reading). A mapping or sequence key is an error for the document.
func (c *converter) key(k *yaml.Node) (string, error) {
	n := k
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.ScalarNode {
		return "", &docError{line: c.line(k), msg: "complex mapping key (a mapping or a list used as a key) is not supported"}
	}
	v, err := c.scalar(n)
	if err != nil {
		return "", err
	}
	return keyString(v, n.Value), nil
}

// keyString is the string form of a scalar key whose converted value is v
// and whose text is text (see converter.key). The fast path shares it.
func keyString(v any, text string) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	}
	// Numbers: format from the YAML value, before the JSON round trip.
	switch r := resolvePlain(text).(type) {
	case int64:
		return strconv.FormatInt(r, 10)
	case uint64:
		return strconv.FormatUint(r, 10)
	case float64:
		return formatFloatKey(r)
	}
	// An explicitly tagged number (!!float 1): format what we decoded.
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return formatFloatKey(x)
	}
	return fmt.Sprint(v)
}

func formatFloatKey(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 32)
	switch s {
	case "+Inf":
		return ".inf"
	case "-Inf":
		return "-.inf"
	case "NaN":
		return ".nan"
	}
	return s
}

// scalar resolves a scalar node. Quoted and block scalars are strings;
// plain scalars follow YAML 1.1 as kubectl reads them (yes/no/on/off are
// booleans, 0x/0o/0b/leading-0 integers, underscores in numbers); explicit
// standard tags force a type.
func (c *converter) scalar(n *yaml.Node) (any, error) {
	plain := n.Style&^(yaml.TaggedStyle|yaml.FlowStyle) == 0
	if n.Style&yaml.TaggedStyle == 0 {
		if !plain {
			return n.Value, nil
		}
		return jsonNumber(resolvePlain(n.Value), n.Value), nil
	}
	bad := func() (any, error) {
		return nil, &docError{line: c.line(n), msg: fmt.Sprintf("value does not match its explicit tag %s", safeTag(n.Tag))}
	}
	r := resolvePlain(n.Value)
	switch n.Tag {
	case "!!str", "!!timestamp", "!!merge":
		return n.Value, nil
	case "!!binary":
		b, err := base64.StdEncoding.DecodeString(strings.Map(dropSpace, n.Value))
		if err != nil {
			return nil, &docError{line: c.line(n), msg: "!!binary value is not valid base64"}
		}
		return string(b), nil
	case "!!null":
		if r != nil {
			return bad()
		}
		return nil, nil
	case "!!bool":
		if _, ok := r.(bool); !ok {
			return bad()
		}
		return r, nil
	case "!!int":
		switch r.(type) {
		case int64, uint64:
			return jsonNumber(r, n.Value), nil
		}
		return bad()
	case "!!float":
		switch x := r.(type) {
		case int64:
			return jsonNumber(float64(x), n.Value), nil
		case uint64:
			return jsonNumber(float64(x), n.Value), nil
		case float64:
			return jsonNumber(x, n.Value), nil
		}
		return bad()
	}
	// Local and unknown tags (!foo): kubectl keeps the text.
	return n.Value, nil
}

func dropSpace(r rune) rune {
	switch r {
	case ' ', '\n', '\r', '\t':
		return -1
	}
	return r
}

// safeTag names a tag in a message: standard tags only.
func safeTag(t string) string {
	if strings.HasPrefix(t, "!!") && len(t) < 16 {
		return t
	}
	return "(custom tag)"
}

// jsonNumber maps a resolved YAML value to what kubectl holds after its
// YAML -> JSON -> unstructured round trip: a float with an integral value
// below 1e21 is printed by encoding/json without a fraction and read back
// as int64; integers beyond int64 become float64. Infinity and NaN cannot
// be JSON: kubectl fails the document, we keep the text.
func jsonNumber(v any, text string) any {
	switch x := v.(type) {
	case uint64:
		return float64(x)
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return text
		}
		if x == math.Trunc(x) && x >= -9223372036854775808 && x < 9223372036854775808 && math.Abs(x) < 1e21 {
			return int64(x)
		}
		return x
	}
	return v
}

var yamlStyleFloat = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

// resolvePlain gives the YAML 1.1 value of a plain scalar as goyaml v2 (in
// sigs.k8s.io/yaml) resolves it into an interface: nil, bool, int64,
// uint64, float64 or string. Timestamps stay strings.
func resolvePlain(s string) any {
	if s == "" {
		return nil
	}
	switch s[0] {
	case 'y', 'Y', 'n', 'N', 't', 'T', 'f', 'F', 'o', 'O', '~':
		switch s {
		case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
			return true
		case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
			return false
		case "~", "null", "Null", "NULL":
			return nil
		}
		return s
	case '.':
		switch s {
		case ".nan", ".NaN", ".NAN":
			return math.NaN()
		case ".inf", ".Inf", ".INF":
			return math.Inf(1)
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
		return s
	case '+', '-':
		switch s {
		case "+.inf", "+.Inf", "+.INF":
			return math.Inf(1)
		case "-.inf", "-.Inf", "-.INF":
			return math.Inf(-1)
		}
	case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
	default:
		return s
	}
	plain := s
	if strings.IndexByte(s, '_') >= 0 {
		plain = strings.ReplaceAll(s, "_", "")
	}
	if i, err := strconv.ParseInt(plain, 0, 64); err == nil {
		return i
	}
	if u, err := strconv.ParseUint(plain, 0, 64); err == nil {
		return u
	}
	if yamlStyleFloat.MatchString(plain) {
		if f, err := strconv.ParseFloat(plain, 64); err == nil {
			return f
		}
	}
	if strings.HasPrefix(plain, "0b") {
		if i, err := strconv.ParseInt(plain[2:], 2, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(plain[2:], 2, 64); err == nil {
			return u
		}
	} else if strings.HasPrefix(plain, "-0b") {
		if i, err := strconv.ParseInt("-"+plain[3:], 2, 64); err == nil {
			return i
		}
	}
	return s
}

// quotedText matches quoted parts of parser messages, which may echo input.
var quotedText = regexp.MustCompile("'[^']*'|\"[^\"]*\"|`[^`]*`")

// parserError turns a YAML parser error into a line and a reason that
// carries no text of the input (a Secret value could otherwise leak).
func parserError(err error) (line int, reason string) {
	msg := err.Error()
	var de *docError
	if errors.As(err, &de) {
		return de.line, de.msg
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	if strings.HasPrefix(msg, "line ") {
		rest := msg[len("line "):]
		if i := strings.Index(rest, ": "); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				line, msg = n, rest[i+2:]
			}
		}
	}
	msg = quotedText.ReplaceAllString(msg, "")
	msg = strings.Join(strings.Fields(msg), " ")
	if msg == "" {
		msg = "invalid YAML"
	}
	return line, msg
}
