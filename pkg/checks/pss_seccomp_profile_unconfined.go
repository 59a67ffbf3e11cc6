package checks

import (
	"fmt"
	"strings"

	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// seccompProfileUnconfined reports seccomp profiles set to something other
// than RuntimeDefault or Localhost: spec.securityContext.seccompProfile.type
// and the same field of every container (PSA checks
// "seccompProfile_baseline" from v1.19 and "seccompProfile_restricted",
// which replaces it at the restricted level; Windows pods are exempt from
// the latter from v1.25), and before v1.19 the seccomp annotations
// seccomp.security.alpha.kubernetes.io/pod and
// container.seccomp.security.alpha.kubernetes.io/<container> (allowed:
// runtime/default, docker/default, localhost/*).
var seccompProfileUnconfined = &Check{
	ID:       "seccomp-profile-unconfined",
	Category: finding.CategoryWorkload,
	Severity: finding.SeverityHigh,
	Level:    finding.LevelBaseline,
	Summary:  "A seccomp profile is explicitly disabled or set to an unsupported type (Unconfined)",
	Doc: `Inspects spec.securityContext.seccompProfile.type and securityContext.seccompProfile.type of
every container, init container and ephemeral container. Allowed: RuntimeDefault or Localhost (a
seccompProfile without a type is refused too). Unconfined turns off system call filtering, exposing
the whole kernel attack surface (keyctl, bpf, unshare, ptrace...) to the container. For policy
versions before v1.19 the annotations seccomp.security.alpha.kubernetes.io/pod and
container.seccomp.security.alpha.kubernetes.io/<name> are inspected instead (allowed:
runtime/default, docker/default, localhost/<profile>). Pod Security Standards baseline control
"Seccomp" (PSA check seccompProfile_baseline, since v1.0; at the restricted level
seccompProfile_restricted, since v1.19, Windows pods exempt since v1.25).`,
	Remediation: `Use the runtime's default profile (or a Localhost profile installed on the nodes):

    securityContext:
      seccompProfile:
        type: RuntimeDefault`,
	References: []string{
		"PSS baseline: Seccomp",
		"CIS Kubernetes Benchmark 5.7.2",
		"NSA/CISA Kubernetes Hardening Guide: Kubernetes Pod security (Hardening container environments)",
		"MITRE ATT&CK T1611 Escape to Host",
	},
	Engine: EnginePSS,
	PSS: bindPSA(
		psaBinding{"seccompProfile_baseline", locateSeccompUnconfined(false)},
		psaBinding{"seccompProfile_restricted", locateSeccompUnconfined(true)},
	),
}

const (
	seccompPodAnnotation             = "seccomp.security.alpha.kubernetes.io/pod"
	seccompContainerAnnotationPrefix = "container.seccomp.security.alpha.kubernetes.io/"
)

func validSeccompType(t string) bool { return t == "RuntimeDefault" || t == "Localhost" }

func validSeccompAnnotation(v string) bool {
	return v == "runtime/default" || v == "docker/default" || strings.HasPrefix(v, "localhost/")
}

// seccompApplies tells whether seccompProfile_restricted inspects the pod.
func seccompApplies(t inventory.PodTemplate, v api.Version) bool {
	return since(v, 19) && !(since(v, 25) && windowsPod(t))
}

func locateSeccompUnconfined(restricted bool) psaLocator {
	return func(t inventory.PodTemplate, v api.Version) []Location {
		switch {
		case restricted && !seccompApplies(t, v):
			return nil
		case !restricted && !since(v, 19):
			return locateSeccompAnnotations(t)
		}
		var out []Location
		podSC, podPath := podSecurityContext(t)
		if l, bad := badSeccompField(podSC, podPath, "the pod"); bad {
			out = append(out, l)
		}
		for _, c := range t.Containers() {
			sc, scPath := securityContext(c)
			if l, bad := badSeccompField(sc, scPath, who(c)); bad {
				l.Container = c.Name
				out = append(out, l)
			}
		}
		return out
	}
}

// badSeccompField reports a seccompProfile that is set with a type other
// than RuntimeDefault or Localhost.
func badSeccompField(sc map[string]any, scPath, owner string) (Location, bool) {
	prof, ok := sc["seccompProfile"].(map[string]any)
	if !ok {
		return Location{}, false
	}
	typ, _ := prof["type"].(string)
	if validSeccompType(typ) {
		return Location{}, false
	}
	path := inventory.Join(scPath, "seccompProfile")
	if typ == "" {
		return Location{Path: path, Message: owner + " sets a securityContext.seccompProfile without a type: set type: RuntimeDefault"}, true
	}
	return Location{
		Path:    inventory.Join(path, "type"),
		Message: fmt.Sprintf("%s sets securityContext.seccompProfile.type=%s", owner, typ),
	}, true
}

// locateSeccompAnnotations mirrors the v1.0-v1.18 check of the seccomp
// annotations: the pod one and one per container name.
func locateSeccompAnnotations(t inventory.PodTemplate) []Location {
	ann := inventory.MapAt(t.Meta, "annotations")
	annPath := inventory.Join(templateMetaPath(t), "annotations")
	var out []Location
	bad := func(key, container string) {
		if val, ok := ann[key].(string); ok && !validSeccompAnnotation(val) {
			out = append(out, Location{
				Path: inventory.Join(annPath, key), Container: container,
				Message: fmt.Sprintf("annotation %s sets seccomp profile %q", key, val),
			})
		}
	}
	bad(seccompPodAnnotation, "")
	seen := map[string]bool{}
	for _, c := range t.Containers() {
		if !seen[c.Name] {
			seen[c.Name] = true
			bad(seccompContainerAnnotationPrefix+c.Name, c.Name)
		}
	}
	return out
}
