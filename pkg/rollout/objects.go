package rollout

import (
	"fmt"
	"sort"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/psa"
)

// Objects are what a state puts in the cluster.
type Objects struct {
	Namespace *corev1.Namespace
	Params    *corev1.ConfigMap
	Policies  []*admissionregistrationv1.ValidatingAdmissionPolicy
	Bindings  []*admissionregistrationv1.ValidatingAdmissionPolicyBinding
	// Labels are the Pod Security labels of every namespace the rollout
	// covers (an empty map removes kharden's).
	Labels map[string]map[string]string
	State  *corev1.ConfigMap
	// Held are namespaces kept at warn, with the reason.
	Held  map[string]string
	Notes []string
}

// PSAVersion is the version PSA labels are pinned to: the configuration's
// pssVersion, "latest" meaning the newest the library knows.
func PSAVersion(cfg *config.Config) (string, error) {
	// psaapi.LatestVersion() has no number (v0.0, which the API server
	// refuses): pin to the newest version the library knows, as psa plan does.
	v, err := psa.PinnedVersion(cfg.PSSVersion)
	if err != nil {
		return "", fmt.Errorf("pssVersion %q: %w", cfg.PSSVersion, err)
	}
	return v, nil
}

// Desired builds the objects of state st: policies of the rules past
// StageNone with their stage's bindings, PSA labels for the pod-security
// unit, the params and the state itself. inv holds the cluster's objects
// (for exceptions that hold namespaces at warn).
func Desired(st *State, cfg *config.Config, nss []Namespace, inv *inventory.Inventory, now time.Time) (*Objects, error) {
	place := Place(cfg, nss)
	var rules []string
	for id, r := range st.Rules {
		if r.Stage > StageNone && id != PodSecurity {
			rules = append(rules, string(id))
		}
	}
	sort.Strings(rules)
	o := &Objects{Labels: map[string]map[string]string{}}
	if len(rules) > 0 {
		ids, err := SelectRules(rules)
		if err != nil {
			return nil, fmt.Errorf("rollout state: %w", err)
		}
		pols, err := ExportPolicies(ids, cfg, now)
		if err != nil {
			return nil, err
		}
		for _, p := range pols {
			o.Policies = append(o.Policies, p.Policy)
			o.Bindings = append(o.Bindings, Bindings(p.Policy, st.StageOf(p.Rule), cfg, place)...)
			o.Notes = append(o.Notes, p.Notes...)
		}
	}
	if s := st.StageOf(PodSecurity); s > StageNone {
		version, err := PSAVersion(cfg)
		if err != nil {
			return nil, err
		}
		o.Held = HeldNamespaces(cfg, inv, now)
		for _, ns := range nss {
			if place.Excluded[ns.Name] {
				continue
			}
			o.Labels[ns.Name] = PSALabels(s, ns.Name, cfg.Rollout.Level(), version, place, o.Held[ns.Name] != "")
		}
	} else {
		for _, ns := range nss {
			if !place.Excluded[ns.Name] {
				o.Labels[ns.Name] = map[string]string{}
			}
		}
	}
	o.Namespace = SystemNamespaceObject()
	o.Params = ParamsConfigMap(cfg)
	cm, err := st.configMap()
	if err != nil {
		return nil, err
	}
	o.State = cm
	return o, nil
}

// SystemNamespaceObject is the namespace the params and the state live in.
func SystemNamespaceObject() *corev1.Namespace {
	return &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: SystemNamespace, Labels: map[string]string{ManagedBy: "kharden"}}}
}
