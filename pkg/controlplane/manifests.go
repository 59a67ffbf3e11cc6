package controlplane

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kharden/kharden/pkg/finding"
)

// Component is a control-plane program run as a static pod.
type Component string

// The components recognised in a manifests directory.
const (
	ComponentAPIServer         Component = "kube-apiserver"
	ComponentEtcd              Component = "etcd"
	ComponentControllerManager Component = "kube-controller-manager"
	ComponentScheduler         Component = "kube-scheduler"
)

var components = []Component{ComponentAPIServer, ComponentEtcd, ComponentControllerManager, ComponentScheduler}

// StaticPod is one control-plane container found in a static-pod manifest.
type StaticPod struct {
	Component Component
	File      string // as given, for findings and errors
	Object    finding.ObjectRef
	Flags     Flags
	// Warnings are words of the command line that are not flags.
	Warnings []string
}

// maxManifestBytes bounds a manifest; real ones are a few kilobytes.
const maxManifestBytes = 4 << 20

// ReadManifests reads every *.yaml, *.yml and *.json file of a static-pod
// manifests directory and returns the control-plane containers found. A
// file that cannot be read or parsed is an error naming it; the other files
// are still read.
func ReadManifests(dir string) ([]StaticPod, []error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, []error{&InputError{File: dir, Msg: "reading manifests directory: " + pathErr(err)}}
	}
	var names []string
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".yaml", ".yml", ".json", ".manifest":
			if !e.IsDir() {
				names = append(names, e.Name())
			}
		}
	}
	sort.Strings(names)
	var (
		pods []StaticPod
		errs []error
	)
	for _, n := range names {
		file := filepath.Join(dir, n)
		data, err := readRegularFile(file, maxManifestBytes)
		if err != nil {
			errs = append(errs, &InputError{File: file, Msg: err.Error()})
			continue
		}
		ps, err := ParseManifest(file, data)
		if err != nil {
			errs = append(errs, err)
		}
		pods = append(pods, ps...)
	}
	return pods, errs
}

// ParseManifest returns the control-plane containers of one static-pod
// manifest (a Pod; other kinds are skipped). Line numbers of the flags come
// from the YAML.
func ParseManifest(file string, data []byte) ([]StaticPod, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(file, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &InputError{File: file, Line: root.Line, Msg: "not a Kubernetes object (expected a mapping)"}
	}
	if k := scalar(lookup(root, "kind")); k != "Pod" {
		return nil, nil
	}
	meta := lookup(root, "metadata")
	name, ns := scalar(lookup(meta, "name")), scalar(lookup(meta, "namespace"))
	if ns == "" {
		ns = "kube-system"
	}
	label := scalar(lookup(lookup(meta, "labels"), "component"))
	containers := lookup(lookup(root, "spec"), "containers")
	if containers == nil || containers.Kind != yaml.SequenceNode {
		return nil, &InputError{File: file, Line: root.Line, Msg: "pod has no spec.containers list"}
	}
	var pods []StaticPod
	for _, c := range containers.Content {
		cmd, err := words(file, lookup(c, "command"))
		if err != nil {
			return pods, err
		}
		args, err := words(file, lookup(c, "args"))
		if err != nil {
			return pods, err
		}
		comp, ok := recognise(scalar(lookup(c, "name")), cmd, label)
		if !ok {
			continue
		}
		var line []Arg
		if len(cmd) > 0 && !strings.HasPrefix(cmd[0].Text, "-") {
			line = append(line, cmd[1:]...)
		} else {
			line = append(line, cmd...)
		}
		line = append(line, args...)
		flags, warns := ParseFlags(line, componentBoolFlags)
		pods = append(pods, StaticPod{
			Component: comp,
			File:      file,
			Object:    finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: ns, Name: name},
			Flags:     flags,
			Warnings:  warns,
		})
	}
	return pods, nil
}

// recognise tells which component a container runs: by the binary of its
// command, else its name, else the pod's component label.
func recognise(name string, cmd []Arg, label string) (Component, bool) {
	var candidates []string
	if len(cmd) > 0 {
		candidates = append(candidates, path.Base(cmd[0].Text))
	}
	candidates = append(candidates, name, label)
	for _, c := range candidates {
		for _, comp := range components {
			if c == string(comp) {
				return comp, true
			}
		}
	}
	return "", false
}

// words reads a list of strings with their lines.
func words(file string, n *yaml.Node) ([]Arg, error) {
	if n == nil {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, &InputError{File: file, Line: n.Line, Msg: "command and args must be lists of strings"}
	}
	out := make([]Arg, 0, len(n.Content))
	for _, w := range n.Content {
		if w.Kind != yaml.ScalarNode {
			return nil, &InputError{File: file, Line: w.Line, Msg: "command and args must be lists of strings"}
		}
		out = append(out, Arg{Text: w.Value, Line: w.Line})
	}
	return out, nil
}

// lookup returns the value of a key of a mapping node, nil when absent.
func lookup(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// scalar is the value of a scalar node, "" otherwise.
func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// line returns the line of the node at the path of keys, 0 when absent.
func line(n *yaml.Node, keys ...string) int {
	for _, k := range keys {
		n = lookup(n, k)
	}
	if n == nil {
		return 0
	}
	return n.Line
}

// yamlError turns a YAML parser error into an InputError with its line.
func yamlError(file string, err error) error {
	msg := err.Error()
	ln := 0
	// yaml.v3 errors read "yaml: line N: ...".
	if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
		if n, tail, ok := strings.Cut(rest, ":"); ok {
			if _, scanErr := fmt.Sscanf(n, "%d", &ln); scanErr == nil {
				msg = "malformed YAML:" + tail
			}
		}
	}
	if ln == 0 {
		msg = "malformed YAML: " + strings.TrimPrefix(msg, "yaml: ")
	}
	return &InputError{File: file, Line: ln, Msg: msg}
}
