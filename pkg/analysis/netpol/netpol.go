// Package netpol models networking.k8s.io/v1 NetworkPolicy exactly and
// answers who can reach whom: policyTypes defaulting, absent versus empty
// selectors, namespaceSelector and podSelector in one peer (AND) or in
// separate peers (OR), ipBlock with except for IPv4 and IPv6, TCP (the
// default), UDP and SCTP, numeric and named ports (resolved against the
// destination pod's container ports), endPort ranges, the union of every
// policy selecting a pod, and the rule that a connection needs both the
// source's egress and the destination's ingress to allow it — a pod no
// policy selects for a direction is open in that direction.
//
// Pods are grouped into classes of equal (namespace, labels, ports): every
// pod of a class gets the same answers, so the cost of a cluster-wide
// summary grows with the distinct label sets, not with the pods.
package netpol

import (
	"fmt"
	"net/netip"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// Protocols NetworkPolicy knows.
const (
	TCP  = "TCP"
	UDP  = "UDP"
	SCTP = "SCTP"
)

// ContainerPort is a port a pod's container declares.
type ContainerPort struct {
	Name     string
	Port     int32
	Protocol string
}

// Namespace is a namespace with the labels its pods are selected by
// (kubernetes.io/metadata.name is always set, as the API server does).
type Namespace struct {
	Name   string
	Labels labels.Set
	Object *inventory.Object // nil when only referenced
}

// Workload is a pod, or the pods of a workload (all alike): the unit
// endpoints are named by.
type Workload struct {
	Ref    finding.ObjectRef // Pod, Deployment, StatefulSet, ...
	Object *inventory.Object
	// Owner is, for a live pod, the workload that made it (its controller's
	// controller: a Deployment rather than its ReplicaSet); else Ref.
	Owner     finding.ObjectRef
	Namespace *Namespace
	Labels    labels.Set
	Ports     []ContainerPort
	// HostNetwork pods use the node's network: NetworkPolicy implementations
	// generally do not apply to them.
	HostNetwork bool
	// Class is the equivalence class of the workload's pods.
	Class *Class
}

// Name is "NAMESPACE/KIND/NAME".
func (w *Workload) Name() string { return w.Ref.Namespace + "/" + w.Ref.Kind + "/" + w.Ref.Name }

// Class is a set of workloads whose pods no policy can tell apart: same
// namespace, labels and container ports.
type Class struct {
	ID        int
	Namespace *Namespace
	Labels    labels.Set
	Ports     []ContainerPort
	Workloads []*Workload
}

// Policy is a NetworkPolicy as the API server defaults it.
type Policy struct {
	Ref       finding.ObjectRef
	Object    *inventory.Object
	Namespace string
	// PodSelector selects the pods the policy applies to in its namespace
	// (empty: all of them).
	PodSelector labels.Selector
	// Ingress and Egress are the effective policyTypes: Ingress always
	// unless policyTypes says otherwise, Egress when listed or when egress
	// rules are present.
	Ingress, Egress bool
	IngressRules    []Rule
	EgressRules     []Rule
}

// Rule is one ingress or egress rule. Peers nil means every peer (the from
// or to list is absent or empty); Ports nil means every port.
type Rule struct {
	Peers []Peer
	Ports []PortRule
}

// Peer is one entry of from/to. For pod peers, a nil selector is absent:
// PodSelector alone selects in the policy's namespace; NamespaceSelector
// alone selects every pod of the selected namespaces; both select the
// matching pods of the matching namespaces. IPBlock is exclusive with them.
type Peer struct {
	PodSelector       labels.Selector
	NamespaceSelector labels.Selector
	IPBlock           *IPBlock
}

// IPBlock is a CIDR and the CIDRs excepted from it.
type IPBlock struct {
	CIDR   netip.Prefix
	Except []netip.Prefix
}

// Contains reports whether the block admits an address.
func (b *IPBlock) Contains(a netip.Addr) bool {
	if !b.CIDR.Contains(a) {
		return false
	}
	for _, e := range b.Except {
		if e.Contains(a) {
			return false
		}
	}
	return true
}

// PortRule is one entry of ports: a protocol and a port (nil: every port
// of the protocol), a number or a name, with EndPort making a numeric port
// a range.
type PortRule struct {
	Protocol string
	Port     *int32
	Named    string
	EndPort  *int32
}

// Problem is something wrong in the input that the model worked around.
type Problem struct {
	Object  finding.ObjectRef
	Source  finding.Source
	Message string
	// Warning marks a problem that ignored nothing of the input (a policy
	// whose namespace the input does not list); the others dropped part of
	// a policy.
	Warning bool
}

func (p Problem) String() string {
	loc := p.Object.String()
	if p.Source.File != "" {
		loc = p.Source.File
		if p.Source.Line > 0 {
			loc = fmt.Sprintf("%s:%d", loc, p.Source.Line)
		}
		loc += ": " + p.Object.String()
	}
	return loc + ": " + p.Message
}

// Model is the network of one inventory.
type Model struct {
	Namespaces map[string]*Namespace
	Workloads  []*Workload
	Classes    []*Class
	Policies   []*Policy
	Problems   []Problem

	byNamespace map[string][]*Policy
}

// PoliciesIn returns the policies of a namespace.
func (m *Model) PoliciesIn(ns string) []*Policy { return m.byNamespace[ns] }

type memoKey struct{}

// For returns the model of an inventory, built once and shared.
func For(inv *inventory.Inventory) *Model {
	return inv.Memo(memoKey{}, func() any { return Build(inv) }).(*Model)
}
