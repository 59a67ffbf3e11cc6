package network

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/pkg/analysis/netpol"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/inventory"
)

// PlanKinds are the kinds `netpol plan` reads from a cluster: namespaces,
// pods and the workloads that make them, NetworkPolicies, Services (flow
// targets) and Ingresses (flows from the ingress controller).
func PlanKinds() []schema.GroupKind {
	return append([]schema.GroupKind{inventory.KindNamespace, inventory.KindNetworkPolicy, inventory.KindService,
		inventory.KindIngress}, inventory.WorkloadKinds()...)
}

// PlanOptions tune a plan.
type PlanOptions struct {
	// Config names production namespaces (productionNamespaces).
	Config *config.Config
	// DNS selects the cluster DNS pods (default DefaultDNS); its namespace
	// is left to be isolated by hand.
	DNS AppRef
	// IngressController selects the ingress controller's pods (default
	// DefaultIngressController).
	IngressController AppRef
}

// Plan is a phased rollout of default-deny policies: the riskiest
// namespaces first, with the allows that keep the flows the input
// declares, and the flows each phase would cut.
type Plan struct {
	Phases []Phase `json:"phases"`
	// Skipped namespaces are left out on purpose (kube-system).
	Skipped []PlanNamespace `json:"skipped"`
	// Warnings are doubts: a kept flow the policies do not keep, a
	// declared dependency already denied, an unresolvable service port.
	Warnings []string `json:"warnings"`
	// Problems are input errors: malformed depends-on annotations,
	// dependencies on workloads that do not exist.
	Problems []string `json:"problems"`
}

// Phase is one step of the rollout.
type Phase struct {
	Number     int             `json:"phase"`
	Title      string          `json:"title"`
	Namespaces []PlanNamespace `json:"namespaces"`
	Policies   []Policy        `json:"policies"`
	// Cut are the current flows this phase denies; Kept the flows touching
	// its namespaces that stay allowed.
	Cut  []Flow `json:"flowsCut"`
	Kept []Flow `json:"flowsKept"`
}

// PlanNamespace is a namespace of a phase and why it is there.
type PlanNamespace struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// FlowSource is how the plan knows of a flow.
type FlowSource string

// Sources of flows.
const (
	// FlowDeclared: a depends-on annotation; the plan keeps it.
	FlowDeclared FlowSource = "depends-on"
	// FlowService: a client allowed today to reach the pods behind a
	// Service; cut unless declared.
	FlowService FlowSource = "service"
	// FlowIngress: the ingress controller to an Ingress backend; kept.
	FlowIngress FlowSource = "ingress"
	// FlowExternal: outside the cluster to a LoadBalancer or NodePort
	// Service; kept.
	FlowExternal FlowSource = "external"
)

// Flow is a connection: from and to are NAMESPACE/KIND/NAME of workloads,
// ip:CIDR outside the cluster, or "outside" (any address outside the
// cluster).
type Flow struct {
	From     string     `json:"from"`
	To       string     `json:"to"`
	Port     int32      `json:"port"`
	Protocol string     `json:"protocol"`
	Source   FlowSource `json:"source"`
	Via      string     `json:"via"`
}

func (f Flow) String() string {
	return fmt.Sprintf("%s -> %s %d/%s (%s)", f.From, f.To, f.Port, f.Protocol, f.Via)
}

// Phase titles.
const (
	phaseHighRisk = "high-risk namespaces: production and shared infrastructure"
	phaseWorkload = "other namespaces with workloads"
	phaseRest     = "the rest: namespaces without workloads"
)

// BuildPlan plans the rollout for an input.
func BuildPlan(inv *inventory.Inventory, opts PlanOptions) (*Plan, error) {
	if opts.Config == nil {
		opts.Config = config.Default()
	}
	if opts.DNS.Namespace == "" {
		opts.DNS = DefaultDNS
	}
	if opts.IngressController.Namespace == "" {
		opts.IngressController = DefaultIngressController
	}
	m := netpol.For(inv)
	pl := &planner{inv: inv, m: m, before: newEvaluator(m), r: newResolver(inv), opts: opts, plan: &Plan{}}
	for _, pr := range m.Problems {
		pl.warn("input: %s", pr)
	}
	pl.classify()
	pl.gatherFlows()
	if err := pl.makePolicies(); err != nil {
		return nil, err
	}
	pl.evaluate()
	pl.plan.Warnings = append(pl.plan.Warnings, pl.r.warnings...)
	return pl.plan, nil
}

// planner holds the state of one plan.
type planner struct {
	inv *inventory.Inventory
	m   *netpol.Model
	// before answers for the input as it is.
	before *evaluator
	r      *resolver
	opts   PlanOptions
	plan   *Plan

	phaseOf map[string]int // namespace -> phase number; absent: not isolated
	flows   []*flow
	keeps   []keep
}

func (pl *planner) problem(format string, args ...any) {
	pl.plan.Problems = append(pl.plan.Problems, fmt.Sprintf(format, args...))
}

func (pl *planner) warn(format string, args ...any) { pl.r.warn(format, args...) }

// systemNamespaces are left alone: the control plane's add-ons reach the
// API server and the node network in ways the input does not show.
var systemNamespaces = map[string]bool{"kube-system": true}

// classify puts every namespace of the input in a phase, or skips it.
func (pl *planner) classify() {
	names := map[string]bool{}
	for _, n := range pl.inv.Namespaces() {
		names[n] = true
	}
	for n := range pl.m.Namespaces {
		names[n] = true
	}
	withWorkloads := map[string]int{}
	for _, w := range pl.m.Workloads {
		withWorkloads[w.Namespace.Name]++
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		if n != "" {
			sorted = append(sorted, n)
		}
	}
	sort.Strings(sorted)
	pl.plan.Phases = []Phase{{Number: 1, Title: phaseHighRisk}, {Number: 2, Title: phaseWorkload}, {Number: 3, Title: phaseRest}}
	pl.phaseOf = map[string]int{}
	for _, n := range sorted {
		if systemNamespaces[n] || n == pl.opts.DNS.Namespace {
			pl.plan.Skipped = append(pl.plan.Skipped, PlanNamespace{Name: n,
				Reason: "system namespace: its add-ons (cluster DNS among them) reach the API server and the node network; isolate it by hand"})
			continue
		}
		labels := map[string]string{}
		if ns := pl.m.Namespaces[n]; ns != nil {
			labels = ns.Labels
		}
		reason, phase := "", 0
		switch {
		case pl.opts.Config.IsProduction(n):
			reason, phase = "production (productionNamespaces in "+configName(pl.opts.Config)+")", 1
		default:
			if r := productionLabel(labels); r != "" {
				reason, phase = "production ("+r+")", 1
			} else if r := sharedInfrastructure(n, labels); r != "" {
				reason, phase = "shared infrastructure ("+r+")", 1
			} else if c := withWorkloads[n]; c > 0 {
				reason, phase = fmt.Sprintf("%d workload(s)", c), 2
			} else {
				reason, phase = "no workloads: isolated before any arrive", 3
			}
		}
		pl.phaseOf[n] = phase
		p := &pl.plan.Phases[phase-1]
		p.Namespaces = append(p.Namespaces, PlanNamespace{Name: n, Reason: reason})
	}
	for _, w := range pl.m.Workloads {
		if _, isolated := pl.phaseOf[w.Namespace.Name]; isolated && w.HostNetwork {
			pl.warn("%s uses the node's network (hostNetwork): NetworkPolicies do not isolate it", ownerName(w))
		}
	}
}

func configName(c *config.Config) string {
	if c.Path != "" {
		return c.Path
	}
	return config.FileName
}

// productionLabel names the label that marks a namespace as production.
func productionLabel(labels map[string]string) string {
	for _, k := range []string{"env", "environment", "tier"} {
		if v := strings.ToLower(labels[k]); v == "prod" || v == "production" {
			return "label " + k + "=" + labels[k]
		}
	}
	return ""
}

// infraWords recognise shared infrastructure in namespace names and label
// values, by what the namespace runs.
var infraWords = map[string]string{
	"ingress": "ingress controller", "traefik": "ingress controller", "contour": "ingress controller",
	"haproxy": "ingress controller", "gateway": "ingress controller",
	"monitoring": "monitoring", "prometheus": "monitoring", "grafana": "monitoring", "alertmanager": "monitoring",
	"observability": "monitoring", "loki": "monitoring",
	"argocd": "CI/CD", "argo": "CI/CD", "flux": "CI/CD", "tekton": "CI/CD", "jenkins": "CI/CD", "gitlab": "CI/CD",
	"runner": "CI/CD", "runners": "CI/CD", "ci": "CI/CD", "cicd": "CI/CD", "buildkite": "CI/CD",
}

// sharedInfrastructure says why a namespace holds shared infrastructure
// (ingress controllers, monitoring, CI/CD agents), or "".
func sharedInfrastructure(name string, labels map[string]string) string {
	if what := infraWord(name); what != "" {
		return what + ": namespace name"
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == namespaceNameLabel {
			continue
		}
		if what := infraWord(labels[k]); what != "" {
			return what + ": label " + k + "=" + labels[k]
		}
	}
	return ""
}

func infraWord(s string) string {
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == '-' || r == '.' || r == '_' || r == '/' }) {
		if what := infraWords[w]; what != "" {
			return what
		}
	}
	return ""
}
