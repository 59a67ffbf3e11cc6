// Package cluster generates a synthetic cluster and loads it into a live API
// server for the cluster-scan benchmark: 500 namespaces of small
// applications, 5,000 pods owned by Deployments (through ReplicaSets),
// StatefulSets, DaemonSets and Jobs, 2,000 RBAC objects, and Services,
// ConfigMaps, Secrets and ServiceAccounts — 20,000 objects with the default
// Spec, with a mix of hardened and careless settings so the rules have work.
package cluster

import (
	"fmt"
	"math/rand/v2"
)

// Spec sizes the synthetic cluster; every count is per namespace.
type Spec struct {
	Namespaces int
	// Deployments (ReplicaSet + DeploymentReplicas pods each), StatefulSets
	// (StatefulSetReplicas pods), DaemonSets (one pod: one node) and Jobs
	// (one pod).
	Deployments, DeploymentReplicas   int
	StatefulSets, StatefulSetReplicas int
	DaemonSets, Jobs                  int
	Roles                             int // and as many RoleBindings
	Services, ConfigMaps, Secrets     int
	ServiceAccounts                   int
}

// DefaultSpec is the benchmark's cluster: 20,000 objects, 5,000 of them pods
// (10 per namespace), 2,000 Roles and RoleBindings, 500 namespaces.
var DefaultSpec = Spec{
	Namespaces:  500,
	Deployments: 2, DeploymentReplicas: 3,
	StatefulSets: 1, StatefulSetReplicas: 2,
	DaemonSets: 1, Jobs: 1,
	Roles:    2,
	Services: 5, ConfigMaps: 5, Secrets: 4, ServiceAccounts: 4,
}

// Object is a manifest to create; Owner, when set, is the index in the plan
// of the object that owns it (its uid is known only once created).
type Object struct {
	Content map[string]any
	Owner   int
}

// Plan is the cluster in creation waves: every object of a wave may be
// created in parallel once the waves before it exist (namespaces; then
// identities, RBAC, configuration and workloads; then ReplicaSets; then
// pods, which name their owner).
type Plan struct {
	Waves [][]Object
}

// Len is the number of objects.
func (p *Plan) Len() int {
	n := 0
	for _, w := range p.Waves {
		n += len(w)
	}
	return n
}

// Count returns the number of objects of a kind.
func (p *Plan) Count(kind string) int {
	n := 0
	for _, w := range p.Waves {
		for _, o := range w {
			if o.Content["kind"] == kind {
				n++
			}
		}
	}
	return n
}

// Generate builds the plan, deterministic for a seed. Owners are encoded as
// (wave, index) pairs through ownerRef.
func Generate(s Spec, seed uint64) *Plan {
	r := rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	p := &Plan{Waves: make([][]Object, 4)}
	add := func(wave int, content map[string]any, owner int) int {
		p.Waves[wave] = append(p.Waves[wave], Object{Content: content, Owner: owner})
		return len(p.Waves[wave]) - 1
	}
	for n := 0; n < s.Namespaces; n++ {
		ns := fmt.Sprintf("team-%03d", n)
		add(0, namespace(ns, r), -1)
		var sas []string
		for i := 0; i < s.ServiceAccounts; i++ {
			sa := fmt.Sprintf("app-%d", i)
			sas = append(sas, sa)
			add(1, serviceAccount(ns, sa, r), -1)
		}
		sa := func(i int) string { return sas[i%len(sas)] }
		for i := 0; i < s.Roles; i++ {
			add(1, role(ns, fmt.Sprintf("role-%d", i), r), -1)
			add(1, roleBinding(ns, fmt.Sprintf("role-%d", i), sa(i)), -1)
		}
		for i := 0; i < s.Services; i++ {
			add(1, service(ns, fmt.Sprintf("svc-%d", i)), -1)
		}
		for i := 0; i < s.ConfigMaps; i++ {
			add(1, configMap(ns, fmt.Sprintf("config-%d", i), r), -1)
		}
		for i := 0; i < s.Secrets; i++ {
			add(1, secret(ns, fmt.Sprintf("secret-%d", i)), -1)
		}
		w := 0
		workload := func(kind, name string, replicas int) (map[string]any, map[string]any) {
			app := fmt.Sprintf("%s-%d", name, w)
			tmpl := podTemplate(app, sa(w), r)
			w++
			return workloadObject(ns, kind, app, replicas, tmpl), tmpl
		}
		for i := 0; i < s.Deployments; i++ {
			d, tmpl := workload("Deployment", "web", s.DeploymentReplicas)
			di := add(1, d, -1)
			rs := replicaSet(ns, d, tmpl, s.DeploymentReplicas)
			ri := add(2, rs, di)
			for k := 0; k < s.DeploymentReplicas; k++ {
				add(3, pod(ns, name(rs)+"-"+suffix(r), tmpl), ri)
			}
		}
		for i := 0; i < s.StatefulSets; i++ {
			st, tmpl := workload("StatefulSet", "db", s.StatefulSetReplicas)
			si := add(1, st, -1)
			for k := 0; k < s.StatefulSetReplicas; k++ {
				add(3, pod(ns, fmt.Sprintf("%s-%d", name(st), k), tmpl), ownerIn(1, si))
			}
		}
		for i := 0; i < s.DaemonSets; i++ {
			ds, tmpl := workload("DaemonSet", "agent", 0)
			di := add(1, ds, -1)
			add(3, pod(ns, name(ds)+"-"+suffix(r)[:5], tmpl), ownerIn(1, di))
		}
		for i := 0; i < s.Jobs; i++ {
			j, tmpl := workload("Job", "migrate", 0)
			ji := add(1, j, -1)
			add(3, pod(ns, name(j)+"-"+suffix(r)[:5], tmpl), ownerIn(1, ji))
		}
	}
	return p
}

// Owners of pods live in wave 2 (ReplicaSets) unless encoded with ownerIn:
// wave*ownerStride + index.
const ownerStride = 1 << 24

func ownerIn(wave, index int) int { return wave*ownerStride + index }

// OwnerAt decodes an owner: the wave and index of the owning object.
func OwnerAt(o Object, wave int) (int, int) {
	if o.Owner >= ownerStride {
		return o.Owner / ownerStride, o.Owner % ownerStride
	}
	return wave - 1, o.Owner
}

func name(o map[string]any) string { return o["metadata"].(map[string]any)["name"].(string) }

func suffix(r *rand.Rand) string {
	const chars = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 16)
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	return string(b[:10]) + "-" + string(b[10:15])
}
