package checks

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/kharden/kharden/pkg/inventory"
)

// psaLocator finds the fields of a pod template that make one PSA check fail
// at one policy version. It mirrors the library check's semantics exactly
// (pod-level values inherited by containers, Windows pods, user-namespace
// relaxations, the server defaults pss applies), so that it returns
// something exactly when the check fails — a test holds it to that on every
// conformance fixture at every version.
type psaLocator func(t inventory.PodTemplate, v api.Version) []Location

// psaBinding is one PSA check a rule reports and the rule's share of its
// offending fields (rules sharing a check each locate their own fields).
type psaBinding struct {
	check  policy.CheckID
	locate psaLocator
}

// psaBindings keeps each PSSBinding's per-check locators for the tests.
var psaBindings = map[*PSSBinding][]psaBinding{}

// bindPSA builds a rule's PSSBinding: Locate asks the locators of the check
// that failed, at the version it failed at. A test holds the locators to
// finding a field for every failure on every conformance fixture and corpus
// pod; should one still find nothing, the runner reports at the pod spec.
func bindPSA(bs ...psaBinding) *PSSBinding {
	b := &PSSBinding{}
	for _, x := range bs {
		if !slices.Contains(b.Checks, x.check) {
			b.Checks = append(b.Checks, x.check)
		}
	}
	b.Locate = func(t inventory.PodTemplate, failed policy.CheckID, v api.Version) []Location {
		var out []Location
		for _, x := range bs {
			if x.check == failed {
				out = appendNew(out, x.locate(t, v))
			}
		}
		return out
	}
	psaBindings[b] = bs
	return b
}

// appendNew appends locations whose path and container are not there yet.
func appendNew(out, add []Location) []Location {
	for _, l := range add {
		dup := false
		for _, o := range out {
			if o.Path == l.Path && o.Container == l.Container {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, l)
		}
	}
	return out
}

// since reports whether version v is 1.minor or newer ("latest" always is).
func since(v api.Version, minor int) bool { return !v.Older(api.MajorMinorVersion(1, minor)) }

// windowsPod reports spec.os.name=windows: from policy v1.25 the
// Linux-only restricted checks skip such pods.
func windowsPod(t inventory.PodTemplate) bool {
	os, _ := inventory.StringAt(t.Spec, "os", "name")
	return os == "windows"
}

// userNamespaced reports spec.hostUsers=false: from policy v1.35 the pod
// runs in a user namespace and root inside it is not root on the node.
func userNamespaced(t inventory.PodTemplate) bool {
	b, ok := inventory.BoolAt(t.Spec, "hostUsers")
	return ok && !b
}

// podSecurityContext returns spec.securityContext and its path.
func podSecurityContext(t inventory.PodTemplate) (map[string]any, string) {
	return inventory.MapAt(t.Spec, "securityContext"), inventory.Join(t.SpecPath, "securityContext")
}

// securityContext returns a container's securityContext and its path.
func securityContext(c inventory.Container) (map[string]any, string) {
	return inventory.MapAt(c.Spec, "securityContext"), inventory.Join(c.Path, "securityContext")
}

// templateMetaPath is the path of the pod template's metadata.
func templateMetaPath(t inventory.PodTemplate) string {
	if t.SpecPath == "spec" {
		return "metadata"
	}
	return strings.TrimSuffix(t.SpecPath, ".spec") + ".metadata"
}

// who names a container for messages: `container "web"`, `init container
// "migrate"`, `ephemeral container "debug"`.
func who(c inventory.Container) string {
	kind := "container"
	switch c.Set {
	case inventory.InitContainers:
		kind = "init container"
	case inventory.EphemeralContainers:
		kind = "ephemeral container"
	}
	return fmt.Sprintf("%s %q", kind, c.Name)
}

// nearest returns the deepest existing path of keys under base in m, for
// pointing at where a missing field should be added.
func nearest(m map[string]any, base string, keys ...string) string {
	path := base
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			return path
		}
		path = inventory.Join(path, k)
		m = next
	}
	return path
}

// intOf reads an integer of unstructured content (int64 from YAML, float64
// from JSON); ill-typed values read as absent, as the lenient decoder drops
// them.
func intOf(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		if n == float64(int64(n)) {
			return int64(n), true
		}
	}
	return 0, false
}

// itoa renders an integer.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// stringsOf returns the string elements of a list with their indexes,
// skipping ill-typed ones.
func stringsOf(l []any) (vals []string, idx []int) {
	for i, e := range l {
		if s, ok := e.(string); ok {
			vals = append(vals, s)
			idx = append(idx, i)
		}
	}
	return vals, idx
}

// sortedKeys returns the keys of a map in order, for stable output.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
