package network

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/runtime"
)

// Doc is one YAML document to write: comment lines and a policy.
type Doc struct {
	Comment []string
	Policy  Policy
}

// WriteYAML writes policies as a multi-document YAML stream, each document
// headed by its comment lines (the first document also by header), keys
// in the order people read NetworkPolicies in.
func WriteYAML(w io.Writer, header []string, docs []Doc) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	for i, d := range docs {
		n, err := policyNode(d.Policy)
		if err != nil {
			return err
		}
		var lines []string
		if i == 0 {
			lines = append(lines, header...)
		}
		lines = append(lines, d.Comment...)
		n.HeadComment = comment(lines)
		doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{n}}
		if err := enc.Encode(doc); err != nil {
			return err
		}
	}
	if len(docs) == 0 && len(header) > 0 {
		if _, err := io.WriteString(w, comment(header)+"\n"); err != nil {
			return err
		}
	}
	return enc.Close()
}

// PolicyDocs are the documents of policies, each commented with its
// purpose.
func PolicyDocs(ps []Policy) []Doc {
	out := make([]Doc, len(ps))
	for i, p := range ps {
		out[i] = Doc{Comment: []string{p.Purpose}, Policy: p}
	}
	return out
}

// comment turns lines into a YAML comment block; text from the input
// cannot break out of it.
func comment(lines []string) string {
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("# ")
		b.WriteString(strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 {
				return ' '
			}
			return r
		}, l))
	}
	return b.String()
}

func policyNode(p Policy) (*yaml.Node, error) {
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(p.Object)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", p.Name(), err)
	}
	if md, ok := content["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	return toNode(content, false), nil
}

// keyOrder is the order of the keys of a NetworkPolicy as people read it;
// other keys follow in alphabetical order.
var keyOrder = map[string]int{}

func init() {
	for i, k := range []string{"apiVersion", "kind", "metadata", "spec", "name", "namespace", "labels", "annotations",
		"namespaceSelector", "podSelector", "policyTypes", "ipBlock", "ingress", "egress", "from", "to", "ports",
		"port", "endPort", "protocol", "cidr", "except", "matchLabels", "matchExpressions", "key", "operator", "values"} {
		keyOrder[k] = i + 1
	}
}

// userMaps hold keys written by users (label keys), ordered alphabetically.
var userMaps = map[string]bool{"labels": true, "annotations": true, "matchLabels": true}

func toNode(v any, userKeys bool) *yaml.Node {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			ri, rj := keyOrder[keys[i]], keyOrder[keys[j]]
			if userKeys || ri == 0 {
				ri = 1 << 20
			}
			if userKeys || rj == 0 {
				rj = 1 << 20
			}
			if ri != rj {
				return ri < rj
			}
			return keys[i] < keys[j]
		})
		n := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range keys {
			n.Content = append(n.Content, scalarNode(k), toNode(x[k], !userKeys && userMaps[k]))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, item := range x {
			n.Content = append(n.Content, toNode(item, false))
		}
		return n
	}
	return scalarNode(v)
}

func scalarNode(v any) *yaml.Node {
	n := &yaml.Node{}
	if err := n.Encode(v); err != nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Value: fmt.Sprint(v)}
	}
	return n
}
