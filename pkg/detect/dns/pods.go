package dns

import (
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// Pods maps client addresses to the pods that hold them.
type Pods struct {
	byIP map[string]podEntry
}

type podEntry struct {
	ref     finding.ObjectRef
	running bool
}

// PodsFrom indexes the pods of an inventory by status.podIP and
// status.podIPs. Pods on the host network share the node's address and
// are left out; when two pods claim an address the Running one wins, then
// the first read.
func PodsFrom(inv *inventory.Inventory) *Pods {
	p := &Pods{byIP: map[string]podEntry{}}
	if inv == nil {
		return p
	}
	for _, o := range inv.Objects {
		if o.GK.Group != "" || o.GK.Kind != "Pod" {
			continue
		}
		if host, _ := inventory.BoolAt(o.Content, "spec", "hostNetwork"); host {
			continue
		}
		phase, _ := inventory.StringAt(o.Content, "status", "phase")
		var ips []string
		if ip, ok := inventory.StringAt(o.Content, "status", "podIP"); ok && ip != "" {
			ips = append(ips, ip)
		}
		for _, item := range inventory.SliceAt(o.Content, "status", "podIPs") {
			if m, ok := item.(map[string]any); ok {
				if ip, ok := m["ip"].(string); ok && ip != "" {
					ips = append(ips, ip)
				}
			}
		}
		ref := finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: o.Ref.Namespace, Name: o.Ref.Name}
		for _, ip := range ips {
			p.Add(ip, ref, phase == "Running")
		}
	}
	return p
}

// Add maps ip to a pod; a running pod replaces one that is not.
func (p *Pods) Add(ip string, ref finding.ObjectRef, running bool) {
	if p.byIP == nil {
		p.byIP = map[string]podEntry{}
	}
	if old, ok := p.byIP[ip]; ok && (old.running || !running) {
		return
	}
	p.byIP[ip] = podEntry{ref: ref, running: running}
}

// Lookup returns the pod holding ip.
func (p *Pods) Lookup(ip string) (finding.ObjectRef, bool) {
	if p == nil {
		return finding.ObjectRef{}, false
	}
	e, ok := p.byIP[ip]
	return e.ref, ok
}

// Len is the number of addresses mapped.
func (p *Pods) Len() int {
	if p == nil {
		return 0
	}
	return len(p.byIP)
}
