package checks

import (
	"fmt"

	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// selinuxOptionsCustom reports seLinuxOptions of the pod and of every
// container that set a user, a role, or a type outside container_t,
// container_init_t, container_kvm_t (and container_engine_t from policy
// v1.31). PSA check "seLinuxOptions" (baseline, since v1.0).
var selinuxOptionsCustom = &Check{
	ID:       "selinux-options-custom",
	Category: finding.CategoryWorkload,
	Severity: finding.SeverityHigh,
	Level:    finding.LevelBaseline,
	Summary:  "SELinux options set a custom user, role or a non-container type",
	Doc: `Inspects spec.securityContext.seLinuxOptions and securityContext.seLinuxOptions of every
container, init container and ephemeral container. Allowed: type unset, container_t,
container_init_t or container_kvm_t (container_engine_t since policy v1.31); user and role unset.
Other types such as spc_t (super-privileged container) or unconfined_t lift SELinux confinement and
custom users and roles can grant host-level access on SELinux nodes. Pod Security Standards baseline
control "SELinux" (PSA check seLinuxOptions), every policy version since v1.0.`,
	Remediation: `Remove user and role from seLinuxOptions and keep the type unset or a container type;
setting only the level (MCS categories) is allowed:

    securityContext:
      seLinuxOptions:
        level: "s0:c123,c456"`,
	References: []string{
		"PSS baseline: SELinux",
		"NSA/CISA Kubernetes Hardening Guide: Kubernetes Pod security (Hardening container environments)",
		"MITRE ATT&CK T1611 Escape to Host",
	},
	Engine: EnginePSS,
	PSS:    bindPSA(psaBinding{"seLinuxOptions", locateSELinux}),
}

func allowedSELinuxType(typ string, v api.Version) bool {
	switch typ {
	case "", "container_t", "container_init_t", "container_kvm_t":
		return true
	case "container_engine_t":
		return since(v, 31)
	}
	return false
}

func locateSELinux(t inventory.PodTemplate, v api.Version) []Location {
	var out []Location
	check := func(sc map[string]any, scPath, owner, container string) {
		opts, ok := sc["seLinuxOptions"].(map[string]any)
		if !ok {
			return
		}
		optsPath := inventory.Join(scPath, "seLinuxOptions")
		typ, _ := opts["type"].(string)
		if !allowedSELinuxType(typ, v) {
			out = append(out, Location{Path: inventory.Join(optsPath, "type"), Container: container,
				Message: fmt.Sprintf("%s sets seLinuxOptions.type=%s", owner, typ)})
		}
		for _, f := range []string{"user", "role"} {
			if s, _ := opts[f].(string); s != "" {
				out = append(out, Location{Path: inventory.Join(optsPath, f), Container: container,
					Message: fmt.Sprintf("%s sets seLinuxOptions.%s=%s, which may not be set", owner, f, s)})
			}
		}
	}
	podSC, podPath := podSecurityContext(t)
	check(podSC, podPath, "the pod", "")
	for _, c := range t.Containers() {
		sc, scPath := securityContext(c)
		check(sc, scPath, who(c), c.Name)
	}
	return out
}
