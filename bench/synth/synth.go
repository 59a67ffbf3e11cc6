// Package synth generates synthetic, realistic inventories for benchmarks:
// namespaces of small applications (workloads of every kind with their
// Services, ConfigMaps, ServiceAccounts, Secrets and Ingresses), with a mix
// of hardened and careless settings so that every rule has work to do.
package synth

import (
	"fmt"
	"math/rand/v2"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// Inventory builds an inventory of about n objects, deterministic for a seed.
func Inventory(n int, seed uint64) *inventory.Inventory {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var b inventory.Builder
	count := 0
	add := func(content map[string]any) {
		o, err := inventory.NewObject(content, inventory.OriginFile, finding.Source{File: fmt.Sprintf("synthetic/%06d.yaml", count), Line: 1})
		if err != nil {
			panic(err) // generator bug, not input
		}
		b.Add(o)
		count++
	}
	for ns := 0; count < n; ns++ {
		nsName := fmt.Sprintf("team-%04d", ns)
		add(namespace(nsName, r))
		for app := 0; app < 8 && count < n; app++ {
			name := fmt.Sprintf("app-%d", app)
			add(serviceAccount(nsName, name, r))
			add(configMap(nsName, name, r))
			add(secret(nsName, name))
			add(service(nsName, name))
			add(workload(nsName, name, r))
			if app%4 == 0 {
				add(ingress(nsName, name, r))
			}
		}
	}
	return b.Build()
}

func meta(ns, name string, labels map[string]any) map[string]any {
	m := map[string]any{"name": name, "namespace": ns}
	if labels != nil {
		m["labels"] = labels
	}
	return m
}

func namespace(name string, r *rand.Rand) map[string]any {
	labels := map[string]any{"team": name}
	if r.IntN(2) == 0 {
		labels["pod-security.kubernetes.io/enforce"] = "restricted"
		labels["data-classification"] = "internal"
	}
	return map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name, "labels": labels}}
}

func serviceAccount(ns, name string, r *rand.Rand) map[string]any {
	o := map[string]any{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(ns, name, nil)}
	if r.IntN(2) == 0 {
		o["automountServiceAccountToken"] = false
	}
	return o
}

func configMap(ns, name string, r *rand.Rand) map[string]any {
	data := map[string]any{"LOG_LEVEL": "info", "FEATURE_FLAGS": "a,b,c", "app.properties": "server.port=8080\nspring.profiles.active=prod\n"}
	if r.IntN(10) == 0 {
		data["DB_PASSWORD"] = "Sup3rS3cretValue"
	}
	return map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(ns, name+"-config", nil), "data": data}
}

func secret(ns, name string) map[string]any {
	return map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": meta(ns, name+"-db", nil),
		"type": "Opaque", "data": map[string]any{"password": "c2VjcmV0"}}
}

func service(ns, name string) map[string]any {
	return map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": meta(ns, name, map[string]any{"app": name}),
		"spec": map[string]any{"selector": map[string]any{"app": name},
			"ports": []any{map[string]any{"port": int64(80), "targetPort": int64(8080)}}}}
}

func ingress(ns, name string, r *rand.Rand) map[string]any {
	spec := map[string]any{"rules": []any{map[string]any{"host": name + "." + ns + ".example.com",
		"http": map[string]any{"paths": []any{map[string]any{"path": "/", "pathType": "Prefix",
			"backend": map[string]any{"service": map[string]any{"name": name, "port": map[string]any{"number": int64(80)}}}}}}}}}
	if r.IntN(2) == 0 {
		spec["tls"] = []any{map[string]any{"hosts": []any{name + "." + ns + ".example.com"}, "secretName": name + "-tls"}}
	}
	return map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta(ns, name, nil), "spec": spec}
}

func container(name string, hardened bool, r *rand.Rand) map[string]any {
	images := []string{"nginx", "nginx:1.27", "ghcr.io/acme/api:2.3.1", "registry.example.com:5000/svc/worker:latest",
		"ghcr.io/acme/api@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"}
	c := map[string]any{
		"name":  name,
		"image": images[r.IntN(len(images))],
		"ports": []any{map[string]any{"containerPort": int64(8080)}},
		"env": []any{
			map[string]any{"name": "LOG_LEVEL", "value": "info"},
			map[string]any{"name": "DB_PASSWORD", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "db", "key": "password"}}},
		},
	}
	if hardened {
		c["securityContext"] = map[string]any{
			"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "runAsNonRoot": true,
			"capabilities":   map[string]any{"drop": []any{"ALL"}},
			"seccompProfile": map[string]any{"type": "RuntimeDefault"},
		}
		c["resources"] = map[string]any{"limits": map[string]any{"cpu": "500m", "memory": "256Mi"}}
		c["livenessProbe"] = map[string]any{"httpGet": map[string]any{"path": "/healthz", "port": int64(8080)}}
		c["readinessProbe"] = map[string]any{"httpGet": map[string]any{"path": "/ready", "port": int64(8080)}}
	} else if r.IntN(3) == 0 {
		c["securityContext"] = map[string]any{"privileged": true, "capabilities": map[string]any{"add": []any{"NET_ADMIN", "SYS_ADMIN"}}}
		c["command"] = []any{"sh", "-c", "env; exec /app"}
	}
	return c
}

func workload(ns, name string, r *rand.Rand) map[string]any {
	hardened := r.IntN(2) == 0
	spec := map[string]any{
		"serviceAccountName": name,
		"containers":         []any{container(name, hardened, r), container("sidecar", hardened, r)},
		"initContainers":     []any{container("init", hardened, r)},
	}
	if !hardened && r.IntN(4) == 0 {
		spec["hostNetwork"] = true
		spec["volumes"] = []any{map[string]any{"name": "root", "hostPath": map[string]any{"path": "/"}}}
	}
	labels := map[string]any{"app": name, "team": ns}
	tmpl := map[string]any{"metadata": map[string]any{"labels": labels}, "spec": spec}
	switch r.IntN(5) {
	case 0:
		return map[string]any{"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta(ns, name, labels),
			"spec": map[string]any{"serviceName": name, "selector": map[string]any{"matchLabels": map[string]any{"app": name}}, "template": tmpl}}
	case 1:
		spec["restartPolicy"] = "OnFailure"
		return map[string]any{"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta(ns, name, labels),
			"spec": map[string]any{"schedule": "@hourly", "jobTemplate": map[string]any{"spec": map[string]any{"template": tmpl}}}}
	case 2:
		return map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": meta(ns, name, labels), "spec": spec}
	default:
		return map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(ns, name, labels),
			"spec": map[string]any{"replicas": int64(2), "selector": map[string]any{"matchLabels": map[string]any{"app": name}}, "template": tmpl}}
	}
}

// Workloads builds namespaces namespaces of perNamespace workloads each
// (every workload kind, hardened or careless), deterministic for a seed:
// the shape `kharden rollout plan` is measured on.
func Workloads(namespaces, perNamespace int, seed uint64) *inventory.Inventory {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var b inventory.Builder
	count := 0
	add := func(content map[string]any) {
		o, err := inventory.NewObject(content, inventory.OriginFile, finding.Source{File: fmt.Sprintf("synthetic/%07d.yaml", count), Line: 1})
		if err != nil {
			panic(err) // generator bug, not input
		}
		b.Add(o)
		count++
	}
	for ns := 0; ns < namespaces; ns++ {
		nsName := fmt.Sprintf("team-%04d", ns)
		add(namespace(nsName, r))
		for w := 0; w < perNamespace; w++ {
			add(workload(nsName, fmt.Sprintf("app-%d", w), r))
		}
	}
	return b.Build()
}
