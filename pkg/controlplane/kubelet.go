package controlplane

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/kharden/kharden/pkg/finding"
)

// kubeletAPIVersion is the KubeletConfiguration version the check reads.
const kubeletAPIVersion = "kubelet.config.k8s.io/v1beta1"

// kubeletFileConfig is the part of a KubeletConfiguration the rules read.
// Unknown fields are allowed: the type has dozens the rules do not need.
type kubeletFileConfig struct {
	APIVersion     string `json:"apiVersion"`
	Kind           string `json:"kind"`
	Authentication struct {
		Anonymous struct {
			Enabled *bool `json:"enabled"`
		} `json:"anonymous"`
	} `json:"authentication"`
	Authorization struct {
		Mode string `json:"mode"`
	} `json:"authorization"`
	ReadOnlyPort *int32 `json:"readOnlyPort"`
}

// Setting is a value of the kubelet's effective configuration and where it
// came from.
type Setting[T any] struct {
	Value T
	// Source is where it was set; for a default, the file alone.
	Source *finding.Source
	Path   string // the field or flag that set it; the field when defaulted
	// Defaulted is true when neither the file nor a flag set it.
	Defaulted bool
}

// Kubelet is the effective security configuration of a kubelet: the
// configuration file with kubelet.config.k8s.io/v1beta1 defaults, or the
// flags' defaults when there is no file, overridden by flags as the
// kubelet does.
type Kubelet struct {
	Object        finding.ObjectRef
	AnonymousAuth Setting[bool]
	Authorization Setting[string]
	ReadOnlyPort  Setting[int32]
}

// ReadKubelet builds the kubelet's effective configuration from a
// KubeletConfiguration file (configFile; data nil when there is none) and a
// kubelet command line (flagsFile; flagsData nil when there is none).
func ReadKubelet(configFile string, data []byte, flagsFile string, flagsData []byte) (*Kubelet, []error) {
	var errs []error
	name := configFile
	if data == nil {
		name = flagsFile
	}
	k := &Kubelet{Object: finding.ObjectRef{APIVersion: kubeletAPIVersion, Kind: "KubeletConfiguration", Name: name}}
	if data != nil {
		// v1beta1 defaults (k8s.io/kubernetes pkg/kubelet/apis/config/v1beta1
		// SetDefaults_KubeletConfiguration).
		def := &finding.Source{File: configFile}
		k.AnonymousAuth = Setting[bool]{Value: false, Source: def, Path: "authentication.anonymous.enabled", Defaulted: true}
		k.Authorization = Setting[string]{Value: "Webhook", Source: def, Path: "authorization.mode", Defaulted: true}
		k.ReadOnlyPort = Setting[int32]{Value: 0, Source: def, Path: "readOnlyPort", Defaulted: true}
		if err := k.applyFile(configFile, data); err != nil {
			return nil, []error{err}
		}
	} else {
		// Without --config the kubelet keeps its legacy flag defaults.
		def := &finding.Source{File: flagsFile}
		k.AnonymousAuth = Setting[bool]{Value: true, Source: def, Path: "--anonymous-auth", Defaulted: true}
		k.Authorization = Setting[string]{Value: "AlwaysAllow", Source: def, Path: "--authorization-mode", Defaulted: true}
		k.ReadOnlyPort = Setting[int32]{Value: 10255, Source: def, Path: "--read-only-port", Defaulted: true}
	}
	if flagsData != nil {
		errs = append(errs, k.applyFlags(flagsFile, flagsData)...)
	}
	return k, errs
}

// applyFile reads the configuration file over the defaults.
func (k *Kubelet) applyFile(file string, data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return yamlError(file, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return &InputError{File: file, Msg: "empty or not a KubeletConfiguration document"}
	}
	root := doc.Content[0]
	var c kubeletFileConfig
	if err := sigsyaml.Unmarshal(data, &c); err != nil {
		return &InputError{File: file, Msg: "does not match the KubeletConfiguration schema: " + safeDecodeError(err)}
	}
	if c.Kind != "KubeletConfiguration" || c.APIVersion != kubeletAPIVersion {
		return &InputError{File: file, Line: line(root, "kind"), Msg: fmt.Sprintf(
			"expected kind KubeletConfiguration (apiVersion %s), found kind %q apiVersion %q", kubeletAPIVersion, c.Kind, c.APIVersion)}
	}
	at := func(keys ...string) *finding.Source { return &finding.Source{File: file, Line: line(root, keys...)} }
	if v := c.Authentication.Anonymous.Enabled; v != nil {
		k.AnonymousAuth = Setting[bool]{Value: *v, Source: at("authentication", "anonymous", "enabled"), Path: "authentication.anonymous.enabled"}
	}
	if v := c.Authorization.Mode; v != "" {
		k.Authorization = Setting[string]{Value: v, Source: at("authorization", "mode"), Path: "authorization.mode"}
	}
	if v := c.ReadOnlyPort; v != nil {
		k.ReadOnlyPort = Setting[int32]{Value: *v, Source: at("readOnlyPort"), Path: "readOnlyPort"}
	}
	return nil
}

// applyFlags overrides the settings with the kubelet flags of a command
// line file.
func (k *Kubelet) applyFlags(file string, data []byte) []error {
	args := KubeletArgs(data)
	flags, warns := ParseFlags(args, kubeletBoolFlags)
	var errs []error
	for _, w := range warns {
		errs = append(errs, &InputError{File: file, Msg: w, Warning: true})
	}
	src := func(f Flag) *finding.Source { return &finding.Source{File: file, Line: f.Line} }
	if v, f, err := flags.Bool("anonymous-auth", k.AnonymousAuth.Value); err != nil {
		errs = append(errs, &InputError{File: file, Line: f.Line, Msg: "--anonymous-auth is not a boolean"})
	} else if f.Name != "" {
		k.AnonymousAuth = Setting[bool]{Value: v, Source: src(f), Path: "--anonymous-auth"}
	}
	if f, ok := flags.Get("authorization-mode"); ok {
		k.Authorization = Setting[string]{Value: f.Value, Source: src(f), Path: "--authorization-mode"}
	}
	if f, ok := flags.Get("read-only-port"); ok {
		n, err := strconv.ParseInt(f.Value, 10, 32)
		if err != nil {
			errs = append(errs, &InputError{File: file, Line: f.Line, Msg: "--read-only-port is not a port number"})
		} else {
			k.ReadOnlyPort = Setting[int32]{Value: int32(n), Source: src(f), Path: "--read-only-port"}
		}
	}
	return errs
}

var kubeletBoolFlags = map[string]bool{"anonymous-auth": true, "rotate-certificates": true, "rotate-server-certificates": true,
	"fail-swap-on": true, "protect-kernel-defaults": true, "make-iptables-util-chains": true, "v": false}

// KubeletArgs extracts the kubelet flags of a command-line file. Accepted
// lines, one per line, # comments ignored:
//
//	KUBELET_EXTRA_ARGS="--read-only-port=0 --anonymous-auth=false"   (/etc/default/kubelet, kubeadm-flags.env)
//	Environment="KUBELET_EXTRA_ARGS=--read-only-port=0"              (a systemd drop-in)
//	ExecStart=/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml (a systemd unit)
//	/usr/bin/kubelet --anonymous-auth=false                          (a bare command line)
//
// Words that do not start with "-" before the first flag of a line (the
// binary, $VARIABLES) are dropped; a trailing backslash continues a line.
func KubeletArgs(data []byte) []Arg {
	var out []Arg
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	ln := 0
	for sc.Scan() {
		ln++
		text := strings.TrimSpace(sc.Text())
		text = strings.TrimSuffix(text, `\`)
		if text == "" || strings.HasPrefix(text, "#") || strings.HasPrefix(text, "[") {
			continue
		}
		for _, prefix := range []string{"Environment=", "ExecStart=", "export "} {
			text = strings.TrimPrefix(text, prefix)
		}
		text = strings.Trim(text, `"'`)
		if i := strings.IndexByte(text, '='); i > 0 && isEnvName(text[:i]) {
			text = strings.Trim(text[i+1:], `"'`)
		}
		started := false
		for _, w := range strings.Fields(text) {
			w = strings.Trim(w, `"'`)
			if !started && (!strings.HasPrefix(w, "-") || strings.HasPrefix(w, "$")) {
				continue
			}
			if strings.HasPrefix(w, "$") {
				continue
			}
			started = true
			out = append(out, Arg{Text: w, Line: ln})
		}
	}
	return out
}

// isEnvName reports whether s looks like an environment variable name.
func isEnvName(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}
