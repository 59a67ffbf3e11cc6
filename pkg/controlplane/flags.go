package controlplane

import (
	"fmt"
	"strconv"
	"strings"
)

// Flag is one command-line flag of a component, as written in its manifest.
type Flag struct {
	Name  string // without the leading dashes
	Value string
	// HasValue is false for a bare boolean flag (--profiling).
	HasValue bool
	Line     int // 1-based line in the manifest; 0 when unknown
}

// Flags are a component's flags in command-line order. Repeated flags are
// kept; Get returns the last, as the components' flag parsers do.
type Flags []Flag

// Arg is one word of a command line with the line it was written on.
type Arg struct {
	Text string
	Line int
}

// ParseFlags parses a command line after the binary: --name=value,
// --name value and bare --name (a boolean). boolFlags names the flags that
// take no separate value word. Words that are not flags are returned as
// warnings, not errors: the check still reads what it understands.
func ParseFlags(args []Arg, boolFlags map[string]bool) (Flags, []string) {
	var (
		fs       Flags
		warnings []string
	)
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a.Text, "-") || a.Text == "-" || a.Text == "--" {
			warnings = append(warnings, fmt.Sprintf("line %d: %q is not a flag; ignored", a.Line, a.Text))
			continue
		}
		name := strings.TrimLeft(a.Text, "-")
		if name == "" {
			warnings = append(warnings, fmt.Sprintf("line %d: %q is not a flag; ignored", a.Line, a.Text))
			continue
		}
		if k, v, ok := strings.Cut(name, "="); ok {
			fs = append(fs, Flag{Name: k, Value: v, HasValue: true, Line: a.Line})
			continue
		}
		if !boolFlags[name] && i+1 < len(args) && !strings.HasPrefix(args[i+1].Text, "-") {
			fs = append(fs, Flag{Name: name, Value: args[i+1].Text, HasValue: true, Line: a.Line})
			i++
			continue
		}
		fs = append(fs, Flag{Name: name, Line: a.Line})
	}
	return fs, warnings
}

// Get returns the last occurrence of a flag.
func (fs Flags) Get(name string) (Flag, bool) {
	for i := len(fs) - 1; i >= 0; i-- {
		if fs[i].Name == name {
			return fs[i], true
		}
	}
	return Flag{}, false
}

// Has reports whether the flag is set to a non-empty value.
func (fs Flags) Has(name string) bool {
	f, ok := fs.Get(name)
	return ok && (!f.HasValue || f.Value != "")
}

// Bool returns a boolean flag's value, def when it is absent; a bare flag
// is true. A value that is not a boolean is an error naming the flag.
func (fs Flags) Bool(name string, def bool) (bool, Flag, error) {
	f, ok := fs.Get(name)
	if !ok {
		return def, f, nil
	}
	if !f.HasValue {
		return true, f, nil
	}
	b, err := strconv.ParseBool(f.Value)
	if err != nil {
		return def, f, fmt.Errorf("line %d: --%s=%q is not a boolean", f.Line, name, f.Value)
	}
	return b, f, nil
}

// List returns the comma-separated values of every occurrence of a flag
// (the components accept both --x=a,b and repeated --x).
func (fs Flags) List(name string) ([]string, Flag) {
	var (
		out  []string
		last Flag
	)
	for _, f := range fs {
		if f.Name != name {
			continue
		}
		last = f
		for _, v := range strings.Split(f.Value, ",") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
	}
	return out, last
}

// componentBoolFlags are boolean flags of the components: like the
// components' own parser (pflag), a bare boolean never takes the next word
// as its value, so `--profiling false` leaves "false" as a stray word.
var componentBoolFlags = map[string]bool{
	"anonymous-auth": true, "profiling": true, "client-cert-auth": true, "peer-client-cert-auth": true,
	"auto-tls": true, "peer-auto-tls": true, "allow-privileged": true, "enable-bootstrap-token-auth": true,
	"insecure-skip-tls-verify": true, "rotate-certificates": true,
}
