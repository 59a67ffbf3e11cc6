package network

import (
	"fmt"
	"net/netip"
	"strings"
)

// DependsOnAnnotation declares, on a workload (its metadata or its pod
// template's), the connections it needs: `netpol plan` keeps them.
// The value is a comma-separated list of TARGET:PORT[/PROTOCOL], TARGET
// being NAMESPACE/NAME, NAMESPACE/KIND/NAME or ip:ADDRESS[/PREFIX] (an
// IPv6 address may be bracketed: ip:[2001:db8::1]:443), e.g.
// "shop/db:5432/TCP, ip:10.0.0.0/8:443, kube-system/coredns:53/UDP".
const DependsOnAnnotation = "kharden.dev/depends-on"

// Dependency is one entry of a depends-on annotation: an in-cluster
// workload (Target) or an address block outside the cluster (CIDR), and a
// port.
type Dependency struct {
	Target string
	CIDR   netip.Prefix
	Port   Port
}

// External reports whether the dependency is outside the cluster.
func (d Dependency) External() bool { return d.Target == "" }

func (d Dependency) String() string {
	if d.External() {
		return "ip:" + d.CIDR.String() + ":" + d.Port.String()
	}
	return d.Target + ":" + d.Port.String()
}

// maxDependencies bounds one annotation.
const maxDependencies = 500

// ParseDependsOn reads a depends-on annotation value.
func ParseDependsOn(value string) ([]Dependency, error) {
	var out []Dependency
	entries := strings.Split(value, ",")
	if len(entries) > maxDependencies {
		return nil, fmt.Errorf("more than %d entries", maxDependencies)
	}
	for i, raw := range entries {
		e := strings.TrimSpace(raw)
		if e == "" {
			continue
		}
		d, err := parseDependency(e)
		if err != nil {
			return nil, fmt.Errorf("entry %d %q: %v", i+1, clip(e), err)
		}
		out = append(out, d)
	}
	return out, nil
}

func parseDependency(e string) (Dependency, error) {
	if rest, ok := strings.CutPrefix(e, "ip:"); ok {
		var addr, port string
		if strings.HasPrefix(rest, "[") {
			end := strings.Index(rest, "]:")
			if end < 0 {
				return Dependency{}, fmt.Errorf("write ip:[ADDRESS]:PORT")
			}
			addr, port = rest[1:end], rest[end+2:]
		} else {
			i := strings.LastIndex(rest, ":")
			if i < 0 {
				return Dependency{}, fmt.Errorf("no port: write ip:ADDRESS[/PREFIX]:PORT[/PROTOCOL]")
			}
			addr, port = rest[:i], rest[i+1:]
		}
		cidr, err := ParseCIDR(addr)
		if err != nil {
			return Dependency{}, err
		}
		p, err := ParsePort(port)
		if err != nil {
			return Dependency{}, err
		}
		if p.Name != "" {
			return Dependency{}, fmt.Errorf("a port outside the cluster is a number, not a name")
		}
		return Dependency{CIDR: cidr, Port: p}, nil
	}
	i := strings.LastIndex(e, ":")
	if i < 0 {
		return Dependency{}, fmt.Errorf("no port: write NAMESPACE/NAME:PORT[/PROTOCOL] or ip:ADDRESS:PORT")
	}
	ref, err := parseRef(e[:i])
	if err != nil {
		return Dependency{}, err
	}
	p, err := ParsePort(e[i+1:])
	if err != nil {
		return Dependency{}, err
	}
	return Dependency{Target: ref.Ref, Port: p}, nil
}

// clip keeps error messages short when the input is long.
func clip(s string) string {
	if r := []rune(s); len(r) > 80 {
		return string(r[:77]) + "..."
	}
	return s
}
