package checks

import (
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// workloadsHolding returns up to maxRelatedWorkloads workloads of the
// inventory whose pods run as one of the subjects: a ServiceAccount subject,
// or a group every ServiceAccount (of a namespace) belongs to. heldBy names
// what they run as ("ServiceAccount shop/ci", "a member of Group ...").
func workloadsHolding(inv *inventory.Inventory, b *rbac.Binding, subjects []rbacv1.Subject) ([]*inventory.Object, string) {
	for _, s := range subjects {
		var ws []*inventory.Object
		switch {
		case s.Kind == rbacv1.ServiceAccountKind:
			ws = topLevel(inv.WorkloadsUsingServiceAccount(b.SubjectNamespace(s), s.Name))
		case s.Kind != rbacv1.GroupKind:
			continue
		case s.Name == rbac.GroupServiceAccounts || s.Name == rbac.GroupAuthenticated:
			ws = anyWorkloads(inv, "", true)
		case strings.HasPrefix(s.Name, rbac.GroupServiceAccounts+":"):
			ws = anyWorkloads(inv, strings.TrimPrefix(s.Name, rbac.GroupServiceAccounts+":"), false)
		}
		if len(ws) > 0 {
			if s.Kind == rbacv1.GroupKind {
				return ws, "a member of Group " + s.Name
			}
			return ws, rbac.SubjectString(b, s)
		}
	}
	return nil, ""
}

// anyWorkloads returns up to maxRelatedWorkloads workloads of a namespace,
// or of the whole inventory.
func anyWorkloads(inv *inventory.Inventory, ns string, all bool) []*inventory.Object {
	var found []*inventory.Object
	if all {
		for _, gk := range inventory.WorkloadKinds() {
			found = append(found, inv.ByKind(gk)...)
			if len(found) > 4*maxRelatedWorkloads {
				break
			}
		}
	} else {
		for _, o := range inv.InNamespace(ns) {
			if inventory.IsWorkloadKind(o.GK) {
				found = append(found, o)
			}
		}
	}
	return topLevel(found)
}

// topLevel keeps workloads that run pods (not PodTemplates), once each,
// those not controlled by another object first, at most
// maxRelatedWorkloads of them.
func topLevel(objs []*inventory.Object) []*inventory.Object {
	var own, controlled []*inventory.Object
	seen := map[finding.ObjectRef]bool{}
	for _, o := range objs {
		if o.GK == inventory.KindPodTemplate || seen[o.Ref] {
			continue
		}
		seen[o.Ref] = true
		if isControlled(o) {
			controlled = append(controlled, o)
		} else {
			own = append(own, o)
		}
	}
	// Input order differs between files and a cluster's lists: name order
	// keeps messages and related objects stable.
	byRef := func(list []*inventory.Object) {
		sort.Slice(list, func(i, j int) bool { return list[i].Ref.String() < list[j].Ref.String() })
	}
	byRef(own)
	byRef(controlled)
	out := append(own, controlled...)
	if len(out) > maxRelatedWorkloads {
		out = out[:maxRelatedWorkloads]
	}
	return out
}

func isControlled(o *inventory.Object) bool {
	refs, _ := o.Metadata()["ownerReferences"].([]any)
	for _, r := range refs {
		if m, ok := r.(map[string]any); ok && m["controller"] == true {
			return true
		}
	}
	return false
}
