// Package network is the library of the `kharden netpol` commands: it
// answers questions with the NetworkPolicy model of pkg/analysis/netpol and
// writes policies as code (generate) and phased rollouts (plan).
package network

import (
	"fmt"
	"net/netip"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Spec is a policies-as-code file: what `kharden netpol generate` turns
// into NetworkPolicies. Each section drives one generator; a file may hold
// several. The format is documented in docs/network.md ("Policies as
// code").
type Spec struct {
	File             string
	DefaultDeny      *DefaultDenySpec
	AllowDNS         *AllowDNSSpec
	AllowFromIngress *AllowFromIngressSpec
	AllowTo          []AllowToSpec
	EgressAllowlist  []EgressAllowlistSpec
}

// SpecAPIVersion and SpecKind may head a spec file; when present they must
// be these.
const (
	SpecAPIVersion = "kharden.dev/v1alpha1"
	SpecKind       = "NetworkPolicySpec"
)

// Pos is where a part of the spec was written: file, line and field path.
type Pos struct {
	File string
	Line int
	Path string
}

// Errorf makes an error located at p.
func (p Pos) Errorf(format string, args ...any) error {
	return &SpecError{File: p.File, Line: p.Line, Path: p.Path, Message: fmt.Sprintf(format, args...)}
}

// SpecError is a problem in a spec file, with its place.
type SpecError struct {
	File    string
	Line    int
	Path    string
	Message string
}

func (e *SpecError) Error() string {
	loc := e.File
	if loc == "" {
		loc = "spec"
	}
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", loc, e.Line)
	}
	if e.Path != "" {
		loc += ": " + e.Path
	}
	return loc + ": " + e.Message
}

// Direction is what a default deny isolates.
type Direction string

// Directions of a default deny.
const (
	DirectionIngress Direction = "ingress"
	DirectionEgress  Direction = "egress"
	DirectionBoth    Direction = "both"
)

// Sides says which ends of an allow-to connection get a policy.
type Sides string

// Sides of an allow-to entry.
const (
	SidesBoth    Sides = "both"
	SidesEgress  Sides = "egress"
	SidesIngress Sides = "ingress"
)

// NamespaceSet names namespaces: by name, or by a label selector evaluated
// over the namespaces of the input (which then must be given).
type NamespaceSet struct {
	Pos
	Names    []string
	Selector *metav1.LabelSelector
}

// DefaultDenySpec isolates every pod of the namespaces in the directions.
type DefaultDenySpec struct {
	Pos
	Namespaces NamespaceSet
	Direction  Direction
}

// AllowDNSSpec lets every pod of the namespaces resolve names: egress to
// the DNS pods on 53/UDP and 53/TCP.
type AllowDNSSpec struct {
	Pos
	Namespaces NamespaceSet
	// DNS selects the DNS server pods (default: namespace kube-system, pods
	// labelled k8s-app=kube-dns, as CoreDNS and kube-dns deployments are).
	DNS AppRef
}

// AllowFromIngressSpec lets the ingress controller's pods reach apps.
type AllowFromIngressSpec struct {
	Pos
	// Controller selects the ingress controller's pods (default: namespace
	// ingress-nginx, app.kubernetes.io/name=ingress-nginx).
	Controller AppRef
	Apps       []IngressAppSpec
}

// IngressAppSpec is one app the ingress controller may reach, on ports.
type IngressAppSpec struct {
	Pos
	App   AppRef
	Ports []Port
}

// AllowToSpec lets one app reach another on ports: an egress policy on the
// source side and an ingress policy on the destination side.
type AllowToSpec struct {
	Pos
	From, To AppRef
	Ports    []Port
	Sides    Sides
}

// EgressAllowlistSpec is the whole egress of an app (or of every pod of a
// namespace): what its entries list, nothing else.
type EgressAllowlistSpec struct {
	Pos
	// App is the pods the allowlist is for; an AppRef with a namespace and
	// no selector is every pod of the namespace.
	App   AppRef
	Allow []EgressRuleSpec
}

// EgressRuleSpec is one allowlist entry: a CIDR (outside the cluster) or an
// in-cluster app, on ports (none: every port).
type EgressRuleSpec struct {
	Pos
	CIDR  *CIDRSpec
	To    *AppRef
	Ports []Port
}

// CIDRSpec is an address block and the blocks excepted from it.
type CIDRSpec struct {
	CIDR   netip.Prefix
	Except []netip.Prefix
}

// AppRef names pods: by the name of a workload of the input (Ref,
// "NAMESPACE/NAME" or "NAMESPACE/KIND/NAME", resolved to its selector), or
// by a namespace and a label selector written in the spec (Selector nil or
// empty: every pod of the namespace).
type AppRef struct {
	Pos
	Ref       string
	Namespace string
	Selector  *metav1.LabelSelector
	// Name names the app in policy names and comments; derived when empty.
	Name string
}

// Port is a port of a rule: a number (with End, a range) or a container
// port name, and a protocol (TCP when not written).
type Port struct {
	Protocol string
	Number   int32
	End      int32
	Name     string
}

func (p Port) String() string {
	switch {
	case p.Name != "":
		return p.Name + "/" + p.Protocol
	case p.End != 0:
		return fmt.Sprintf("%d-%d/%s", p.Number, p.End, p.Protocol)
	}
	return fmt.Sprintf("%d/%s", p.Number, p.Protocol)
}
