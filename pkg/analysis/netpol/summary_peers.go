package netpol

import (
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// classIndex answers "which classes does this selector match" with set
// operations on label indexes instead of matching every class: a
// cluster-wide peer costs a few word-wise ORs and ANDs, not one Matches
// call per class.
type classIndex struct {
	n        int
	classes  []*Class
	all      Bitset
	byNS     map[string]Bitset // classes of a namespace
	nsList   []*Namespace      // namespaces that have classes
	byKey    map[string]Bitset // classes having a label key
	byPair   map[string]Bitset // classes having key=value ("key\x00value")
	nsCache  map[string]Bitset // namespace selector -> classes of the namespaces it matches
	podCache map[string]Bitset // pod selector -> classes it matches (any namespace)
	empty    Bitset
}

func newClassIndex(m *Model) *classIndex {
	n := len(m.Classes)
	x := &classIndex{n: n, classes: m.Classes, all: NewBitset(n), byNS: map[string]Bitset{},
		byKey: map[string]Bitset{}, byPair: map[string]Bitset{}, nsCache: map[string]Bitset{},
		podCache: map[string]Bitset{}, empty: NewBitset(n)}
	x.all.Fill(n)
	get := func(m map[string]Bitset, k string) Bitset {
		b := m[k]
		if b == nil {
			b = NewBitset(n)
			m[k] = b
		}
		return b
	}
	for _, c := range m.Classes {
		if hostNetwork(c) {
			// No selector matches a pod on its node's network (see
			// Model.PeerMatches): it is only in x.all, for rules that
			// admit every peer.
			continue
		}
		if _, ok := x.byNS[c.Namespace.Name]; !ok {
			x.nsList = append(x.nsList, c.Namespace)
		}
		get(x.byNS, c.Namespace.Name).Set(c.ID)
		for k, v := range c.Labels {
			get(x.byKey, k).Set(c.ID)
			get(x.byPair, k+"\x00"+v).Set(c.ID)
		}
	}
	return x
}

// selectorKey is a canonical text of a selector: String() is canonical
// (requirements sorted) but says "" for both everything and nothing.
func selectorKey(s labels.Selector) string {
	switch {
	case s == nil:
		return "\x00absent"
	case s.Empty():
		return "\x00all"
	}
	if str := s.String(); str != "" {
		return str
	}
	return "\x00none"
}

// peerClasses is the set of classes a pod peer of a policy in policyNS
// covers (the result may be shared: do not modify it).
func (x *classIndex) peerClasses(p *Peer, policyNS string) Bitset {
	if p.IPBlock != nil {
		return x.empty
	}
	var ns Bitset
	if p.NamespaceSelector == nil {
		ns = x.byNS[policyNS]
		if ns == nil {
			return x.empty
		}
	} else {
		ns = x.namespaces(p.NamespaceSelector)
	}
	if p.PodSelector == nil || p.PodSelector.Empty() {
		return ns
	}
	out := x.pods(p.PodSelector).Clone()
	out.And(ns)
	return out
}

// namespaces is the set of classes in the namespaces a selector matches.
func (x *classIndex) namespaces(sel labels.Selector) Bitset {
	k := selectorKey(sel)
	if b, ok := x.nsCache[k]; ok {
		return b
	}
	b := NewBitset(x.n)
	for _, ns := range x.nsList {
		if sel.Matches(ns.Labels) {
			b.Or(x.byNS[ns.Name])
		}
	}
	x.nsCache[k] = b
	return b
}

// pods is the set of classes, in any namespace, whose labels a selector
// matches.
func (x *classIndex) pods(sel labels.Selector) Bitset {
	k := selectorKey(sel)
	if b, ok := x.podCache[k]; ok {
		return b
	}
	b := x.evalSelector(sel)
	x.podCache[k] = b
	return b
}

// evalSelector intersects the sets of the selector's requirements, each
// read from the label indexes as labels.Requirement.Matches defines it.
func (x *classIndex) evalSelector(sel labels.Selector) Bitset {
	reqs, selectable := sel.Requirements()
	if !selectable {
		return NewBitset(x.n)
	}
	out := x.all.Clone()
	for _, r := range reqs {
		key := r.Key()
		switch r.Operator() {
		case selection.In, selection.Equals, selection.DoubleEquals:
			out.And(x.valuesOf(key, r))
		case selection.NotIn, selection.NotEquals:
			out.AndNot(x.valuesOf(key, r))
		case selection.Exists:
			if k := x.byKey[key]; k != nil {
				out.And(k)
			} else {
				return NewBitset(x.n)
			}
		case selection.DoesNotExist:
			if k := x.byKey[key]; k != nil {
				out.AndNot(k)
			}
		default: // Gt, Lt: compare numbers class by class.
			keep := NewBitset(x.n)
			out.Each(func(i int) {
				if r.Matches(x.classes[i].Labels) {
					keep.Set(i)
				}
			})
			out = keep
		}
	}
	return out
}

// valuesOf is the set of classes whose label key has one of the
// requirement's values.
func (x *classIndex) valuesOf(key string, r labels.Requirement) Bitset {
	b := NewBitset(x.n)
	for v := range r.Values() {
		if s := x.byPair[key+"\x00"+v]; s != nil {
			b.Or(s)
		}
	}
	return b
}

// hostNetwork reports whether a class's pods use their node's network.
func hostNetwork(c *Class) bool { return len(c.Workloads) > 0 && c.Workloads[0].HostNetwork }
