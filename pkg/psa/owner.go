package psa

import "github.com/kharden/kharden/pkg/inventory"

// ownerRef names a workload by kind and name within its namespace.
type ownerRef struct{ kind, name string }

// maxOwnerDepth bounds the walk up controller references (Pod -> Job ->
// CronJob is three levels; a cycle in bad input must not loop).
const maxOwnerDepth = 5

// topOwner follows controller references through the input (Pod ->
// ReplicaSet -> Deployment) to the workload a person names. An owner that is
// not in the input ends the walk at the object that names it: its pods are
// judged on their own.
func topOwner(inv *inventory.Inventory, o *inventory.Object) ownerRef {
	cur := o
	for depth := 0; depth < maxOwnerDepth; depth++ {
		kind, name, ok := controllerOf(cur)
		if !ok {
			break
		}
		next := findOwner(inv, cur.Ref.Namespace, kind, name)
		if next == nil {
			break
		}
		cur = next
	}
	return ownerRef{kind: cur.Ref.Kind, name: cur.Ref.Name}
}

func findOwner(inv *inventory.Inventory, ns, kind, name string) *inventory.Object {
	for _, gk := range inventory.WorkloadKinds() {
		if gk.Kind != kind {
			continue
		}
		if objs := inv.Get(gk, ns, name); len(objs) > 0 {
			return objs[0]
		}
	}
	return nil
}

// controllerOf returns the controller reference of an object.
func controllerOf(o *inventory.Object) (kind, name string, ok bool) {
	refs, _ := inventory.MapAt(o.Content, "metadata")["ownerReferences"].([]any)
	for _, r := range refs {
		m, isMap := r.(map[string]any)
		if !isMap {
			continue
		}
		if c, _ := m["controller"].(bool); c {
			kind, _ = m["kind"].(string)
			name, _ = m["name"].(string)
			return kind, name, kind != "" && name != ""
		}
	}
	return "", "", false
}
