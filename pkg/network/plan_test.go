package network

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/config"
)

func buildPlan(t *testing.T, opts PlanOptions, paths ...string) *Plan {
	t.Helper()
	p, err := BuildPlan(loadInventory(t, paths...), opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func phaseNamespaces(p *Plan) []string {
	var out []string
	for _, ph := range p.Phases {
		var names []string
		for _, n := range ph.Namespaces {
			names = append(names, n.Name)
		}
		out = append(out, strings.Join(names, ","))
	}
	return out
}

func flowStrings(fs []Flow) string {
	var s []string
	for _, f := range fs {
		s = append(s, f.String())
	}
	return strings.Join(s, "\n")
}

func TestPlanFixture(t *testing.T) {
	p := buildPlan(t, PlanOptions{}, fixture)
	if got := strings.Join(phaseNamespaces(p), " | "); got != "ingress-nginx,monitoring,shop | dev,payments | sandbox" {
		t.Errorf("phases: %s", got)
	}
	if len(p.Skipped) != 1 || p.Skipped[0].Name != "kube-system" {
		t.Errorf("skipped: %+v", p.Skipped)
	}
	if len(p.Warnings) > 0 || len(p.Problems) > 0 {
		t.Errorf("warnings %v problems %v", p.Warnings, p.Problems)
	}
	cut, kept := flowStrings(p.Phases[0].Cut), flowStrings(p.Phases[0].Kept)
	for _, want := range []string{
		"monitoring/Deployment/prometheus -> shop/Deployment/db 5432/TCP (Service shop/db)",
		"dev/Pod/toolbox -> shop/Deployment/web 8080/TCP (Service shop/web)",
		"shop/Deployment/db -> payments/Deployment/api 8443/TCP (Service payments/api)",
	} {
		if !strings.Contains(cut, want) {
			t.Errorf("phase 1 should cut %s; cuts:\n%s", want, cut)
		}
	}
	for _, want := range []string{
		"shop/Deployment/web -> shop/Deployment/db 5432/TCP (depends-on of shop/Deployment/web)",
		"shop/Deployment/web -> ip:0.0.0.0/0 443/TCP (depends-on of shop/Deployment/web)",
		"monitoring/Deployment/prometheus -> shop/Deployment/web 8080/TCP (depends-on of monitoring/Deployment/prometheus)",
		"ingress-nginx/Deployment/ingress-nginx-controller -> shop/Deployment/web 8080/TCP (Ingress shop/web)",
		"outside -> ingress-nginx/Deployment/ingress-nginx-controller 443/TCP (Service ingress-nginx/ingress-nginx-controller (LoadBalancer))",
		"shop/Deployment/db -> kube-system/Deployment/coredns 53/UDP (Service kube-system/kube-dns)",
	} {
		if !strings.Contains(kept, want) {
			t.Errorf("phase 1 should keep %s; keeps:\n%s", want, kept)
		}
	}
	// A flow is cut once: in the first phase that isolates one of its ends.
	seen := map[Flow]int{}
	for _, ph := range p.Phases {
		for _, f := range ph.Cut {
			if prev, ok := seen[f]; ok {
				t.Errorf("%s cut in phases %d and %d", f, prev, ph.Number)
			}
			seen[f] = ph.Number
		}
	}
	var names []string
	for _, ph := range p.Phases {
		for _, pol := range ph.Policies {
			names = append(names, pol.Name())
		}
	}
	for _, want := range []string{"shop/default-deny", "shop/allow-dns", "shop/keep-db-ingress", "shop/keep-web-egress",
		"shop/keep-web-ingress", "payments/keep-api-ingress", "sandbox/default-deny", "ingress-nginx/keep-ingress-nginx-egress"} {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+want+" ") {
			t.Errorf("no policy %s among %v", want, names)
		}
	}
	for _, n := range names {
		if strings.HasPrefix(n, "kube-system/") {
			t.Errorf("kube-system is skipped, yet %s", n)
		}
	}
}

func TestPlanGolden(t *testing.T) {
	p := buildPlan(t, PlanOptions{}, fixture)
	var table, js, yml bytes.Buffer
	if err := p.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if err := p.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if err := p.WriteYAML(&yml); err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/plan/golden/plan.txt", table.Bytes())
	golden(t, "testdata/plan/golden/plan.json", js.Bytes())
	golden(t, "testdata/plan/golden/plan.yaml", yml.Bytes())
	var back struct {
		Phases []struct {
			Phase     int
			Policies  []struct{ Namespace, Name, Generator, Purpose string }
			FlowsCut  []Flow
			FlowsKept []Flow
		}
		Skipped, Warnings, Problems []any
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Phases) != 3 || back.Warnings == nil || back.Problems == nil {
		t.Fatalf("json: %v %+v", err, back)
	}
	if back.Phases[0].Policies[0].Generator == "" || len(back.Phases[0].FlowsCut) != len(p.Phases[0].Cut) {
		t.Errorf("json phase 1: %+v", back.Phases[0])
	}
	for _, out := range []string{table.String(), js.String(), yml.String()} {
		if strings.Contains(out, fixtureSecret) {
			t.Fatal("the plan prints a Secret value")
		}
	}
}

func TestPlanProduction(t *testing.T) {
	cfg := config.Default()
	cfg.ProductionNamespaces = []string{"d*"}
	p := buildPlan(t, PlanOptions{Config: cfg}, fixture)
	if got := strings.Join(phaseNamespaces(p), " | "); got != "dev,ingress-nginx,monitoring,shop | payments | sandbox" {
		t.Errorf("phases: %s", got)
	}
	if r := p.Phases[0].Namespaces[0].Reason; !strings.Contains(r, "productionNamespaces") {
		t.Errorf("reason %q", r)
	}
}

func TestPlanClassify(t *testing.T) {
	cases := []struct {
		name   string
		labels map[string]string
		want   string
	}{
		{"gitlab-runner", nil, "CI/CD: namespace name"},
		{"ci", nil, "CI/CD: namespace name"},
		{"team-a", map[string]string{"purpose": "prometheus"}, "monitoring: label purpose=prometheus"},
		{"traefik", nil, "ingress controller: namespace name"},
		{"checkout", nil, ""},
		{"circus", nil, ""},
	}
	for _, c := range cases {
		if got := sharedInfrastructure(c.name, c.labels); got != c.want {
			t.Errorf("%s %v: %q want %q", c.name, c.labels, got, c.want)
		}
	}
	if productionLabel(map[string]string{"environment": "Production"}) == "" || productionLabel(map[string]string{"env": "prod-like"}) != "" {
		t.Error("production labels")
	}
}

func TestPlanProblems(t *testing.T) {
	p := buildPlan(t, PlanOptions{}, "testdata/plan/bad-annotations.yaml")
	all := strings.Join(p.Problems, "\n")
	for _, want := range []string{
		`testdata/plan/bad-annotations.yaml:11: shop/Deployment/web: annotation kharden.dev/depends-on: entry 1 "shop/db": no port`,
		`testdata/plan/bad-annotations.yaml:28: shop/Deployment/api: annotation kharden.dev/depends-on: endpoint "shop/nothing": no pod or workload`,
		"shop/Deployment/db declares no port named metrics/TCP",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("problems should contain %q:\n%s", want, all)
		}
	}
	warnings := strings.Join(p.Warnings, "\n")
	if !strings.Contains(warnings, "shop/Pod/unlabelled: the plan cannot keep its declared flows: shop/Pod/unlabelled has no labels") {
		t.Errorf("warnings:\n%s", warnings)
	}
	// The valid entry of api's annotation is kept all the same.
	if !strings.Contains(flowStrings(p.Phases[0].Kept)+flowStrings(p.Phases[1].Kept), "shop/Deployment/api -> shop/Deployment/db 5432/TCP") {
		t.Errorf("api -> db not kept: %+v", p.Phases)
	}
	// The unlabelled pod's flow cannot be kept: the plan says it is cut.
	if !strings.Contains(flowStrings(p.Phases[1].Cut), "shop/Pod/unlabelled -> shop/Deployment/db 5432/TCP") {
		t.Errorf("unlabelled -> db should be cut: %s", flowStrings(p.Phases[1].Cut))
	}
}

func TestPlanWarnings(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/host.yaml"
	data := `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-exporter, namespace: monitoring}
spec:
  selector: {matchLabels: {app: node-exporter}}
  template:
    metadata: {labels: {app: node-exporter}}
    spec:
      hostNetwork: true
      containers: [{name: x, image: x:1, ports: [{containerPort: 9100}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: broken, namespace: monitoring}
spec:
  podSelector: {}
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/33}}]
`
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	p := buildPlan(t, PlanOptions{}, path)
	all := strings.Join(p.Warnings, "\n")
	for _, want := range []string{
		"monitoring/DaemonSet/node-exporter uses the node's network (hostNetwork): NetworkPolicies do not isolate it",
		"input: " + path + `:12: NetworkPolicy/monitoring/broken: spec.egress[0].to[0]: ipBlock.cidr: "10.0.0.0/33" is not a CIDR`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings should contain %q:\n%s", want, all)
		}
	}
	if len(p.Warnings) != 2 {
		t.Errorf("want 2 warnings, got:\n%s", all)
	}
	// DNS pods present but not matched by the selector: allow-dns would
	// not work.
	p = buildPlan(t, PlanOptions{DNS: AppRef{Namespace: "monitoring", Selector: DefaultDNS.Selector}}, path)
	if all := strings.Join(p.Warnings, "\n"); !strings.Contains(all, "no workload of namespace monitoring matches the DNS selector (k8s-app=kube-dns)") {
		t.Errorf("warnings:\n%s", all)
	}
}
