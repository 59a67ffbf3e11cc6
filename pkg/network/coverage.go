package network

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/kharden/kharden/pkg/analysis/netpol"
)

// Isolation levels of a namespace for one direction.
const (
	IsolationFull    = "full"    // every workload is isolated
	IsolationPartial = "partial" // some are
	IsolationNone    = "none"    // none is
	IsolationEmpty   = "empty"   // no workload on the pod network
)

// Coverage is how far NetworkPolicies isolate each namespace.
type Coverage struct {
	Namespaces []NamespaceCoverage `json:"namespaces"`
}

// NamespaceCoverage is one namespace: its workloads (in a live cluster,
// its pods), its policies, and each direction's isolation.
type NamespaceCoverage struct {
	Namespace string `json:"namespace"`
	Workloads int    `json:"workloads"`
	Policies  int    `json:"policies"`
	// HostNetwork are the workloads on their node's network, which
	// NetworkPolicy does not govern (not counted in Workloads).
	HostNetwork []string          `json:"hostNetwork,omitempty"`
	Ingress     DirectionCoverage `json:"ingress"`
	Egress      DirectionCoverage `json:"egress"`
}

// DirectionCoverage is one direction of a namespace.
type DirectionCoverage struct {
	Isolation string `json:"isolation"` // full, partial, none or empty
	Isolated  int    `json:"isolated"`
	// NamespaceWide: a policy with podSelector {} selects every pod for
	// this direction (new pods are isolated too).
	NamespaceWide bool `json:"namespaceWide"`
	// Open are the workloads no policy selects for this direction (live
	// pods named once by the workload that made them).
	Open []string `json:"open"`
}

// BuildCoverage computes the coverage of every namespace of the model (one
// when namespace is set) that has workloads, policies or a Namespace
// object.
func BuildCoverage(s *netpol.Summary, namespace string) (*Coverage, error) {
	m := s.Model
	byNS := map[string]*NamespaceCoverage{}
	get := func(name string) *NamespaceCoverage {
		c := byNS[name]
		if c == nil {
			c = &NamespaceCoverage{Namespace: name, Ingress: DirectionCoverage{Open: []string{}}, Egress: DirectionCoverage{Open: []string{}}}
			byNS[name] = c
		}
		return c
	}
	for name, ns := range m.Namespaces {
		if ns.Object != nil || len(m.PoliciesIn(name)) > 0 {
			get(name)
		}
	}
	openSeen := map[string]bool{}
	for _, w := range m.Workloads {
		c := get(w.Namespace.Name)
		name := coverageName(w)
		if w.HostNetwork {
			if !openSeen["h\x00"+name] {
				openSeen["h\x00"+name] = true
				c.HostNetwork = append(c.HostNetwork, name)
			}
			continue
		}
		c.Workloads++
		cs := s.Classes[w.Class.ID]
		for _, d := range []struct {
			dir      *DirectionCoverage
			isolated bool
			key      string
		}{{&c.Ingress, cs.IngressIsolated, "i"}, {&c.Egress, cs.EgressIsolated, "e"}} {
			if d.isolated {
				d.dir.Isolated++
			} else if !openSeen[d.key+"\x00"+name] {
				openSeen[d.key+"\x00"+name] = true
				d.dir.Open = append(d.dir.Open, name)
			}
		}
	}
	if namespace != "" && byNS[namespace] == nil {
		return nil, fmt.Errorf("namespace %q has no workload, policy or Namespace object in the input", namespace)
	}
	cov := &Coverage{Namespaces: []NamespaceCoverage{}}
	for name, c := range byNS {
		if namespace != "" && name != namespace {
			continue
		}
		c.Policies = len(m.PoliciesIn(name))
		for _, p := range m.PoliciesIn(name) {
			if p.PodSelector.Empty() {
				c.Ingress.NamespaceWide = c.Ingress.NamespaceWide || p.Ingress
				c.Egress.NamespaceWide = c.Egress.NamespaceWide || p.Egress
			}
		}
		c.Ingress.Isolation = coverageIsolation(c.Workloads, c.Ingress.Isolated)
		c.Egress.Isolation = coverageIsolation(c.Workloads, c.Egress.Isolated)
		cov.Namespaces = append(cov.Namespaces, *c)
	}
	sort.Slice(cov.Namespaces, func(i, j int) bool { return cov.Namespaces[i].Namespace < cov.Namespaces[j].Namespace })
	return cov, nil
}

// coverageName names a workload, a live pod by the workload that made it.
func coverageName(w *netpol.Workload) string {
	if w.Owner != w.Ref {
		return w.Owner.Namespace + "/" + w.Owner.Kind + "/" + w.Owner.Name
	}
	return w.Name()
}

func coverageIsolation(workloads, isolated int) string {
	switch {
	case workloads == 0:
		return IsolationEmpty
	case isolated == workloads:
		return IsolationFull
	case isolated == 0:
		return IsolationNone
	}
	return IsolationPartial
}

// WriteTable prints one line per namespace and the workloads left open.
func (c *Coverage) WriteTable(w io.Writer) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tWORKLOADS\tPOLICIES\tINGRESS\tEGRESS\tOPEN (INGRESS / EGRESS)")
	for _, n := range c.Namespaces {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s / %s\n", answerSafe(n.Namespace), n.Workloads, n.Policies,
			coverageDirection(n.Ingress, n.Workloads), coverageDirection(n.Egress, n.Workloads),
			coverageOpen(n.Ingress.Open), coverageOpen(n.Egress.Open))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range c.Namespaces {
		if len(n.HostNetwork) > 0 {
			fmt.Fprintf(&b, "\n%s: on the node's network, not governed by NetworkPolicy: %s\n", answerSafe(n.Namespace),
				answerSafe(strings.Join(n.HostNetwork, ", ")))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// coverageDirection is "full 3/3 (default deny)", "partial 1/3", "none 0/3".
func coverageDirection(d DirectionCoverage, workloads int) string {
	s := d.Isolation
	if workloads > 0 {
		s += fmt.Sprintf(" %d/%d", d.Isolated, workloads)
	}
	if d.NamespaceWide {
		s += " (namespace-wide)"
	}
	return s
}

// coverageOpen lists up to three open workloads by name.
func coverageOpen(names []string) string {
	if len(names) == 0 {
		return "-"
	}
	short := make([]string, 0, 3)
	for _, n := range names {
		if len(short) == 3 {
			break
		}
		if i := strings.Index(n, "/"); i >= 0 {
			n = n[i+1:] // the namespace is the row's
		}
		short = append(short, answerSafe(n))
	}
	s := strings.Join(short, ",")
	if len(names) > 3 {
		s += fmt.Sprintf(" +%d", len(names)-3)
	}
	return s
}
