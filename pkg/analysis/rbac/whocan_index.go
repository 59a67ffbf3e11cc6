package rbac

import (
	"cmp"
	"slices"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
)

// whoCanScratch is the working memory of one WhoCan call, reused between
// calls: a query may find hundreds of subjects and grants, and only the
// result need be allocated.
type whoCanScratch struct {
	index  map[int32]int32 // subject rank -> index into found
	found  []hit
	grants []Grant
	owners []int32 // per grant, the index of its subject in found
	pos    []int32 // per index into found, the place in the result
	start  []int32
}

// hit is a subject found: its rank, and where it was found first.
type hit struct {
	rank, id int32
	binding  *Binding
	subject  int
}

var scratchPool = sync.Pool{New: func() any { return &whoCanScratch{index: map[int32]int32{}} }}

func (w *whoCanScratch) release() {
	clear(w.index)
	clear(w.found)
	clear(w.grants)
	w.found, w.grants, w.owners = w.found[:0], w.grants[:0], w.owners[:0]
	scratchPool.Put(w)
}

// add records the subjects of the bindings as allowed by the rule.
func (w *whoCanScratch) add(bs []*Binding, ref ruleRef) {
	for _, b := range bs {
		for si, rank := range b.ranks {
			if rank < 0 {
				continue
			}
			id, ok := w.index[rank]
			if !ok {
				id = int32(len(w.found))
				w.index[rank] = id
				w.found = append(w.found, hit{rank: rank, id: id, binding: b, subject: si})
			}
			w.grants = append(w.grants, Grant{Binding: b, Role: ref.role, Rule: ref.i, Subject: b.Subjects[si]})
			w.owners = append(w.owners, id)
		}
	}
}

// result lists system:masters, then the subjects found in rank order,
// each with its grants (in the order found, then sorted) as slices of one
// array.
func (w *whoCanScratch) result() []SubjectAccess {
	slices.SortFunc(w.found, func(a, b hit) int { return cmp.Compare(a.rank, b.rank) })
	w.pos = slices.Grow(w.pos[:0], len(w.found))[:len(w.found)]
	for p, h := range w.found {
		w.pos[h.id] = int32(p)
	}
	w.start = slices.Grow(w.start[:0], len(w.found)+1)[:len(w.found)+1]
	clear(w.start)
	for _, o := range w.owners {
		w.start[w.pos[o]+1]++
	}
	for p := range w.found {
		w.start[p+1] += w.start[p]
	}
	all := make([]Grant, len(w.grants))
	for j, o := range w.owners {
		p := w.pos[o]
		all[w.start[p]] = w.grants[j]
		w.start[p]++
	}
	// start[p] is now where subject p's grants end.
	out := make([]SubjectAccess, 1+len(w.found))
	out[0] = SubjectAccess{Kind: rbacv1.GroupKind, Name: GroupMasters, Privileged: true}
	begin := int32(0)
	for p, h := range w.found {
		s := h.binding.Subjects[h.subject]
		sa := SubjectAccess{Kind: s.Kind, Name: s.Name, Via: all[begin:w.start[p]:w.start[p]]}
		if s.Kind == rbacv1.ServiceAccountKind {
			sa.Namespace = h.binding.SubjectNamespace(s)
		}
		sortGrants(sa.Via)
		out[1+p] = sa
		begin = w.start[p]
	}
	return out
}

// indexGrantees indexes, once the bindings are read, what WhoCan needs:
// the bindings of each role by where they grant, and the rank of every
// binding subject in the order subjects are listed (Users, Groups, then
// ServiceAccounts; by namespace, then name).
func (x *Index) indexGrantees() {
	x.rbsOf = map[roleNS][]*Binding{}
	type granteeKey struct{ kind, name, ns string }
	ids := map[granteeKey]int32{}
	var keys []granteeKey
	for _, b := range x.Bindings {
		if b.Role != nil {
			if b.Cluster() {
				b.Role.crbs = append(b.Role.crbs, b)
			} else {
				k := roleNS{b.Role, b.Ref.Namespace}
				x.rbsOf[k] = append(x.rbsOf[k], b)
				b.Role.rbs++
			}
		}
		b.ranks = make([]int32, len(b.Subjects))
		for i, s := range b.Subjects {
			if !b.matchable(s) {
				b.ranks[i] = -1
				continue
			}
			k := granteeKey{s.Kind, s.Name, ""}
			if s.Kind == rbacv1.ServiceAccountKind {
				k.ns = b.SubjectNamespace(s)
			}
			id, ok := ids[k]
			if !ok {
				id = int32(len(keys))
				ids[k] = id
				keys = append(keys, k)
			}
			b.ranks[i] = id
		}
	}
	order := make([]int32, len(keys))
	for i := range order {
		order[i] = int32(i)
	}
	// Keys are distinct: the order is total.
	slices.SortFunc(order, func(i, j int32) int {
		a, b := keys[i], keys[j]
		if c := cmp.Compare(kindOrder(a.kind), kindOrder(b.kind)); c != 0 {
			return c
		}
		if c := cmp.Compare(a.ns, b.ns); c != 0 {
			return c
		}
		return cmp.Compare(a.name, b.name)
	})
	rank := make([]int32, len(keys))
	for pos, id := range order {
		rank[id] = int32(pos)
	}
	for _, b := range x.Bindings {
		for i, id := range b.ranks {
			if id >= 0 {
				b.ranks[i] = rank[id]
			}
		}
	}
}
