package checks

import (
	"sort"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/pkg/inventory"
)

// celChecks lists the rules evaluated by the cel engine: guardrails written
// once in the Kubernetes CEL dialect, evaluated offline and exportable
// unchanged as ValidatingAdmissionPolicy (pkg/cel/vap.go).
var celChecks = []*Check{
	writableRootFilesystem,
	missingResourceLimits,
	missingProbes,
	imageLatestTag,
	imageNotPinned,
	imageRegistryNotAllowed,
	defaultServiceAccount,
	secretInEnv,
	missingOwnerLabel,
	missingDataClassification,
	namespaceWithoutPSALabels,
	ingressWithoutTLS,
	podMissingAppLabel,
}

// workloadKindsExcept lists the kinds that carry a pod spec, minus some, in a
// stable order (exported policies list them).
func workloadKindsExcept(except ...schema.GroupKind) []schema.GroupKind {
	skip := map[schema.GroupKind]bool{}
	for _, k := range except {
		skip[k] = true
	}
	var out []schema.GroupKind
	for _, k := range inventory.WorkloadKinds() {
		if !skip[k] {
			out = append(out, k)
		}
	}
	sortKinds(out)
	return out
}

func sortKinds(ks []schema.GroupKind) {
	sort.Slice(ks, func(i, j int) bool {
		if ks[i].Group != ks[j].Group {
			return ks[i].Group < ks[j].Group
		}
		return ks[i].Kind < ks[j].Kind
	})
}

// Reference names shared by several rules.
const (
	refNSAPodSecurity     = "NSA/CISA Kubernetes Hardening Guide v1.2: Kubernetes Pod security"
	refNSAImmutable       = "NSA/CISA Kubernetes Hardening Guide v1.2: Immutable container file systems"
	refNSAImages          = "NSA/CISA Kubernetes Hardening Guide v1.2: Building secure container images"
	refNSAResources       = "NSA/CISA Kubernetes Hardening Guide v1.2: Resource policies"
	refNSANamespaces      = "NSA/CISA Kubernetes Hardening Guide v1.2: Namespaces"
	refNSASecrets         = "NSA/CISA Kubernetes Hardening Guide v1.2: Secrets"
	refNSAServiceAccounts = "NSA/CISA Kubernetes Hardening Guide v1.2: Protecting Pod service account tokens"
	refNSAPodSecurityEnf  = "NSA/CISA Kubernetes Hardening Guide v1.2: Pod security enforcement"
	refNSANetworkSep      = "NSA/CISA Kubernetes Hardening Guide v1.2: Network separation and hardening"
	refNSAAppSecurity     = "NSA/CISA Kubernetes Hardening Guide v1.2: Upgrading and application security practices"
)

// containerName is the CEL fragment naming the container in messages.
const containerName = `'container "' + container.?name.orValue('') + '"'`
