package netpol_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// randomCluster writes a small cluster meant to hit every corner of the
// NetworkPolicy semantics at once: selectors of every operator (numeric
// Gt/Lt included), absent versus empty peer and port lists, peers of both
// selectors, ipBlocks with excepts in both families, named ports declared
// under several numbers and protocols, endPort ranges, policies in
// namespaces that have no workload or no Namespace object.
func randomCluster(seed uint64, namespaces, workloads, policies int) *inventory.Inventory {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	var objs []map[string]any
	nsName := func() string { return fmt.Sprintf("ns%d", r.IntN(namespaces+1)) } // ns<namespaces> has no object
	for i := range namespaces {
		labels := map[string]any{}
		if r.IntN(2) == 0 {
			labels["team"] = pick("a", "b")
		}
		if r.IntN(2) == 0 {
			labels["env"] = pick("prod", "dev")
		}
		objs = append(objs, map[string]any{"apiVersion": "v1", "kind": "Namespace",
			"metadata": map[string]any{"name": fmt.Sprintf("ns%d", i), "labels": labels}})
	}
	portPool := []map[string]any{
		{"name": "http", "containerPort": int64(80)},
		{"name": "http", "containerPort": int64(8080)},
		{"name": "dns", "containerPort": int64(53), "protocol": "UDP"},
		{"name": "dns", "containerPort": int64(53)},
		{"name": "metrics", "containerPort": int64(9090)},
		{"name": "diameter", "containerPort": int64(3868), "protocol": "SCTP"},
		{"containerPort": int64(5432)},
	}
	for i := range workloads {
		labels := map[string]any{"app": pick("web", "db", "api", "cache")}
		if r.IntN(2) == 0 {
			labels["tier"] = pick("front", "back")
		}
		if r.IntN(3) == 0 {
			labels["version"] = pick("1", "2", "10")
		}
		var ports []any
		for _, p := range portPool {
			if r.IntN(4) == 0 {
				ports = append(ports, p)
			}
		}
		pod := map[string]any{"containers": []any{map[string]any{"name": "c", "image": "x", "ports": ports}}}
		if r.IntN(12) == 0 {
			pod["hostNetwork"] = true
		}
		meta := map[string]any{"name": fmt.Sprintf("w%d", i), "namespace": nsName()}
		if r.IntN(5) == 0 {
			meta["labels"] = labels
			objs = append(objs, map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod})
			continue
		}
		objs = append(objs, map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
			"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{"labels": labels}, "spec": pod}}})
	}
	selector := func(keys ...string) map[string]any {
		switch r.IntN(6) {
		case 0:
			return map[string]any{}
		case 1, 2:
			k := keys[r.IntN(len(keys))]
			return map[string]any{"matchLabels": map[string]any{k: valueOf(k, r)}}
		}
		var exprs []any
		for range 1 + r.IntN(2) {
			k := keys[r.IntN(len(keys))]
			op := pick("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")
			e := map[string]any{"key": k, "operator": op}
			switch op {
			case "In", "NotIn":
				e["values"] = []any{valueOf(k, r), valueOf(k, r)}
			case "Gt", "Lt":
				e["key"] = "version"
				e["values"] = []any{pick("1", "2", "5")}
			}
			exprs = append(exprs, e)
		}
		return map[string]any{"matchExpressions": exprs}
	}
	blocks := []map[string]any{
		{"cidr": "0.0.0.0/0", "except": []any{"10.0.0.0/8", "169.254.169.254/32"}},
		{"cidr": "0.0.0.0/0"},
		{"cidr": "10.0.0.0/8"},
		{"cidr": "169.254.0.0/16"},
		{"cidr": "1.2.3.0/24", "except": []any{"1.2.3.128/25"}},
		{"cidr": "192.168.0.0/16", "except": []any{"192.168.0.0/16"}},
		{"cidr": "::/0", "except": []any{"fd00::/8"}},
		{"cidr": "fd00::/8"},
		{"cidr": "2000::/3", "except": []any{"2000::/4"}},
		{"cidr": "0.0.0.0/1", "except": []any{"0.0.0.0/2", "64.0.0.0/3", "96.0.0.0/4", "112.0.0.0/5", "120.0.0.0/5"}},
	}
	peers := func() any {
		switch r.IntN(6) {
		case 0:
			return nil // absent: every peer
		case 1:
			return []any{}
		}
		var out []any
		for range 1 + r.IntN(2) {
			switch r.IntN(4) {
			case 0:
				out = append(out, map[string]any{"podSelector": selector("app", "tier", "version")})
			case 1:
				out = append(out, map[string]any{"namespaceSelector": selector("team", "env", "kubernetes.io/metadata.name")})
			case 2:
				out = append(out, map[string]any{"namespaceSelector": selector("team", "env", "kubernetes.io/metadata.name"),
					"podSelector": selector("app", "tier")})
			default:
				out = append(out, map[string]any{"ipBlock": blocks[r.IntN(len(blocks))]})
			}
		}
		return out
	}
	ports := func() any {
		switch r.IntN(5) {
		case 0:
			return nil
		case 1:
			return []any{}
		}
		var out []any
		for range 1 + r.IntN(2) {
			p := map[string]any{}
			if proto := pick("", "TCP", "UDP", "SCTP"); proto != "" {
				p["protocol"] = proto
			}
			switch r.IntN(5) {
			case 0: // every port of the protocol
			case 1:
				p["port"] = pick("http", "dns", "metrics", "diameter", "nope")
			case 2:
				p["port"] = int64(1000 + r.IntN(8000))
				p["endPort"] = p["port"].(int64) + int64(r.IntN(9000))
			default:
				p["port"] = []int64{53, 80, 443, 5432, 8080, 9090, 3868}[r.IntN(7)]
			}
			out = append(out, p)
		}
		return out
	}
	rules := func(peerKey string) []any {
		var out []any
		for range r.IntN(3) {
			rule := map[string]any{}
			if p := peers(); p != nil {
				rule[peerKey] = p
			}
			if p := ports(); p != nil {
				rule["ports"] = p
			}
			out = append(out, rule)
		}
		return out
	}
	for i := range policies {
		spec := map[string]any{"podSelector": selector("app", "tier", "version")}
		switch r.IntN(4) {
		case 0:
			spec["policyTypes"] = []any{"Ingress"}
		case 1:
			spec["policyTypes"] = []any{"Egress"}
		case 2:
			spec["policyTypes"] = []any{"Ingress", "Egress"}
		}
		if r.IntN(3) > 0 {
			spec["ingress"] = rules("from")
		}
		if r.IntN(3) > 0 {
			spec["egress"] = rules("to")
		}
		objs = append(objs, map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
			"metadata": map[string]any{"name": fmt.Sprintf("p%d", i), "namespace": nsName()}, "spec": spec})
	}
	b := &inventory.Builder{}
	for i, o := range objs {
		obj, err := inventory.NewObject(o, inventory.OriginFile, finding.Source{File: "random.yaml", Line: i + 1})
		if err != nil {
			panic(err)
		}
		b.Add(obj)
	}
	return b.Build()
}

func valueOf(key string, r *rand.Rand) string {
	vals := map[string][]string{
		"app": {"web", "db", "api", "cache"}, "tier": {"front", "back"}, "version": {"1", "2", "10"},
		"team": {"a", "b"}, "env": {"prod", "dev"}, "kubernetes.io/metadata.name": {"ns0", "ns1", "ns2"},
	}[key]
	return vals[r.IntN(len(vals))]
}
