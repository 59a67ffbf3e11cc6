package cluster

import (
	"fmt"
	"math/rand/v2"
)

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
		// warn and audit only: an enforce label would reject the careless
		// pods the rules need to find.
		labels["pod-security.kubernetes.io/warn"] = "restricted"
		labels["pod-security.kubernetes.io/audit"] = "baseline"
		labels["data-classification"] = "internal"
	}
	return map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name, "labels": labels}}
}

func serviceAccount(ns, name string, r *rand.Rand) map[string]any {
	o := map[string]any{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(ns, name, map[string]any{"app": name})}
	if r.IntN(2) == 0 {
		o["automountServiceAccountToken"] = false
	}
	return o
}

func role(ns, name string, r *rand.Rand) map[string]any {
	rules := []any{
		map[string]any{"apiGroups": []any{""}, "resources": []any{"configmaps", "services"}, "verbs": []any{"get", "list", "watch"}},
		map[string]any{"apiGroups": []any{"apps"}, "resources": []any{"deployments"}, "verbs": []any{"get", "list", "patch"}},
	}
	switch r.IntN(4) {
	case 0:
		rules = append(rules, map[string]any{"apiGroups": []any{""}, "resources": []any{"secrets"}, "verbs": []any{"get", "list"}})
	case 1:
		rules = append(rules, map[string]any{"apiGroups": []any{""}, "resources": []any{"pods", "pods/exec"}, "verbs": []any{"create", "get"}})
	}
	return map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta(ns, name, nil), "rules": rules}
}

func roleBinding(ns, roleName, sa string) map[string]any {
	return map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta(ns, roleName+"-"+sa, nil),
		"subjects": []any{map[string]any{"kind": "ServiceAccount", "name": sa, "namespace": ns}},
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": roleName}}
}

func service(ns, name string) map[string]any {
	return map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": meta(ns, name, map[string]any{"app": name}),
		"spec": map[string]any{"selector": map[string]any{"app": name},
			"ports": []any{map[string]any{"name": "http", "port": int64(80), "targetPort": int64(8080)}}}}
}

func configMap(ns, name string, r *rand.Rand) map[string]any {
	data := map[string]any{"LOG_LEVEL": "info", "FEATURE_FLAGS": "a,b,c",
		"app.properties": "server.port=8080\nspring.profiles.active=prod\nmanagement.endpoints=health,info\n"}
	if r.IntN(10) == 0 {
		data["DB_PASSWORD"] = "Sup3rS3cretValue"
	}
	return map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(ns, name, nil), "data": data}
}

func secret(ns, name string) map[string]any {
	return map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": meta(ns, name, nil), "type": "Opaque",
		"data": map[string]any{"username": "YXBw", "password": "bm90LWEtcmVhbC1wYXNzd29yZA=="}}
}

func container(name string, port int64, hardened bool, r *rand.Rand) map[string]any {
	images := []string{"nginx", "nginx:1.27", "ghcr.io/acme/api:2.3.1", "registry.example.com:5000/svc/worker:latest",
		"ghcr.io/acme/api@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"}
	c := map[string]any{
		"name":  name,
		"image": images[r.IntN(len(images))],
		"env": []any{
			map[string]any{"name": "LOG_LEVEL", "value": "info"},
			map[string]any{"name": "DB_PASSWORD", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "secret-0", "key": "password"}}},
		},
	}
	if port > 0 {
		c["ports"] = []any{map[string]any{"containerPort": port}}
	}
	if hardened {
		c["securityContext"] = map[string]any{
			"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "runAsNonRoot": true,
			"capabilities":   map[string]any{"drop": []any{"ALL"}},
			"seccompProfile": map[string]any{"type": "RuntimeDefault"},
		}
		c["resources"] = map[string]any{"limits": map[string]any{"cpu": "500m", "memory": "256Mi"}}
		if port > 0 { // init containers may not have probes
			c["livenessProbe"] = map[string]any{"httpGet": map[string]any{"path": "/healthz", "port": port}}
			c["readinessProbe"] = map[string]any{"httpGet": map[string]any{"path": "/ready", "port": port}}
		}
	} else if r.IntN(3) == 0 {
		c["securityContext"] = map[string]any{"privileged": true, "capabilities": map[string]any{"add": []any{"NET_ADMIN", "SYS_ADMIN"}}}
		c["command"] = []any{"sh", "-c", "env; exec /app"}
	}
	return c
}

// podTemplate is a template's metadata and spec; pods copy it.
func podTemplate(app, sa string, r *rand.Rand) map[string]any {
	hardened := r.IntN(2) == 0
	spec := map[string]any{
		"serviceAccountName": sa,
		"containers":         []any{container(app, 8080, hardened, r), container("sidecar", 9090, hardened, r)},
		"initContainers":     []any{container("init", 0, hardened, r)},
	}
	if !hardened && r.IntN(4) == 0 {
		spec["hostNetwork"] = true
		spec["volumes"] = []any{map[string]any{"name": "root", "hostPath": map[string]any{"path": "/"}}}
	}
	return map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": app}}, "spec": spec}
}

func workloadObject(ns, kind, app string, replicas int, tmpl map[string]any) map[string]any {
	labels := map[string]any{"app": app}
	spec := map[string]any{"template": tmpl}
	apiVersion := "apps/v1"
	switch kind {
	case "Deployment", "StatefulSet":
		spec["replicas"] = int64(replicas)
		spec["selector"] = map[string]any{"matchLabels": labels}
		if kind == "StatefulSet" {
			spec["serviceName"] = app
		}
	case "DaemonSet":
		spec["selector"] = map[string]any{"matchLabels": labels}
	case "Job":
		apiVersion = "batch/v1"
		tmpl = deepCopy(tmpl)
		tmpl["spec"].(map[string]any)["restartPolicy"] = "OnFailure"
		spec["template"] = tmpl
	}
	return map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": meta(ns, app, labels), "spec": spec}
}

func replicaSet(ns string, d, tmpl map[string]any, replicas int) map[string]any {
	app := name(d)
	rsName := fmt.Sprintf("%s-%x", app, len(app)*7919%0xfffff+0x10000)
	t := deepCopy(tmpl)
	labels := t["metadata"].(map[string]any)["labels"].(map[string]any)
	labels["pod-template-hash"] = rsName[len(app)+1:]
	return map[string]any{"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": meta(ns, rsName, labels),
		"spec": map[string]any{"replicas": int64(replicas), "selector": map[string]any{"matchLabels": labels}, "template": t}}
}

func pod(ns, podName string, tmpl map[string]any) map[string]any {
	t := deepCopy(tmpl)
	m := t["metadata"].(map[string]any)
	m["name"], m["namespace"] = podName, ns
	spec := t["spec"].(map[string]any)
	spec["nodeName"] = "node-1"
	return map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": m, "spec": spec}
}

func deepCopy(v map[string]any) map[string]any {
	out := make(map[string]any, len(v))
	for k, x := range v {
		out[k] = deepCopyValue(x)
	}
	return out
}

func deepCopyValue(x any) any {
	switch t := x.(type) {
	case map[string]any:
		return deepCopy(t)
	case []any:
		out := make([]any, len(t))
		for i := range t {
			out[i] = deepCopyValue(t[i])
		}
		return out
	}
	return x
}
