package netgen

import (
	"fmt"
	"maps"
	"math/rand/v2"
)

// namespace i: env and team labels, each present most of the time.
func namespace(r *rand.Rand, i int) map[string]any {
	labels := map[string]any{}
	if chance(r, 80) {
		labels["env"] = pick(r, envs)
	}
	if chance(r, 60) {
		labels["team"] = pick(r, teams)
	}
	return map[string]any{
		"apiVersion": "v1",
		"kind":       "Namespace",
		"metadata":   map[string]any{"name": namespaceName(i), "labels": labels},
	}
}

// workload i: a bare Pod or a Deployment in a random namespace, with
// labels from the vocabularies (sometimes none), one or two containers
// declaring ports (named and not), sometimes a sidecar with its own port,
// rarely on the host network.
func workload(r *rand.Rand, i, namespaces int) map[string]any {
	name := fmt.Sprintf("w%d", i)
	ns := namespaceName(r.IntN(namespaces))
	labels := podLabels(r)
	spec := map[string]any{"containers": containers(r)}
	if chance(r, 15) {
		spec["initContainers"] = []any{map[string]any{
			"name": "proxy", "image": "proxy", "restartPolicy": "Always",
			"ports": []any{containerPort(r)},
		}}
	}
	if chance(r, 3) {
		spec["hostNetwork"] = true
	}
	if chance(r, 40) {
		return map[string]any{
			"apiVersion": "v1",
			"kind":       "Pod",
			"metadata":   map[string]any{"name": name, "namespace": ns, "labels": labels},
			"spec":       spec,
		}
	}
	return map[string]any{
		"apiVersion": "apps/v1",
		"kind":       "Deployment",
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{
			"selector": map[string]any{"matchLabels": maps.Clone(labels)},
			"template": map[string]any{
				"metadata": map[string]any{"labels": labels},
				"spec":     spec,
			},
		},
	}
}

func podLabels(r *rand.Rand) map[string]any {
	labels := map[string]any{}
	if chance(r, 5) {
		return labels
	}
	if chance(r, 90) {
		labels["app"] = pick(r, apps)
	}
	if chance(r, 60) {
		labels["tier"] = pick(r, tiers)
	}
	if chance(r, 30) {
		labels["version"] = pick(r, []string{"v1", "v2"})
	}
	return labels
}

func containers(r *rand.Rand) []any {
	n := 1
	if chance(r, 20) {
		n = 2
	}
	out := make([]any, n)
	for i := range out {
		ports := make([]any, r.IntN(4))
		for j := range ports {
			ports[j] = containerPort(r)
		}
		out[i] = map[string]any{"name": fmt.Sprintf("c%d", i), "image": "app", "ports": ports}
	}
	return out
}

// containerPort declares a catalogue port under its name (or, one time in
// five, only its number).
func containerPort(r *rand.Rand) map[string]any {
	np := pick(r, portCatalogue)
	p := map[string]any{"containerPort": pick(r, np.numbers)}
	if !chance(r, 20) {
		p["name"] = np.name
	}
	if np.protocol != "TCP" || chance(r, 20) {
		p["protocol"] = np.protocol
	}
	return p
}
