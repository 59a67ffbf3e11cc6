package checks_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// liveInventory builds an inventory as a cluster read gives it.
func liveInventory(t *testing.T, objs ...map[string]any) *inventory.Inventory {
	t.Helper()
	b := &inventory.Builder{}
	for _, o := range objs {
		obj, err := inventory.NewObject(o, inventory.OriginCluster, finding.Source{})
		if err != nil {
			t.Fatal(err)
		}
		b.Add(obj)
	}
	return b.Build()
}

// runOnInventory runs one rule (alone) on an inventory.
func runOnInventory(t *testing.T, id finding.RuleID, inv *inventory.Inventory) []finding.Finding {
	t.Helper()
	cfg := config.Default()
	on, off := true, false
	cfg.Rules = map[finding.RuleID]config.RuleConfig{}
	for _, c := range checks.Catalogue() {
		cfg.Rules[c.ID] = config.RuleConfig{Enabled: &off}
	}
	cfg.Rules[id] = config.RuleConfig{Enabled: &on}
	r, err := checks.NewRunner(checks.Catalogue(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.Now = func() time.Time { return fixtureNow }
	hits, _ := r.Run(inv)
	var out []finding.Finding
	for _, h := range hits {
		out = append(out, h.Finding)
	}
	return out
}

func owned(kind, name string) []any {
	return []any{map[string]any{"kind": kind, "name": name, "controller": true, "apiVersion": "apps/v1"}}
}

func liveWeb() []map[string]any {
	pod := func(name string) map[string]any {
		return map[string]any{"apiVersion": "v1", "kind": "Pod",
			"metadata": map[string]any{"name": name, "namespace": "shop", "labels": map[string]any{"app": "web"},
				"ownerReferences": owned("ReplicaSet", "web-5d4")},
			"spec":   map[string]any{"containers": []any{map[string]any{"name": "web", "image": "nginx"}}},
			"status": map[string]any{"phase": "Running"}}
	}
	template := map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "web"}},
		"spec": map[string]any{"containers": []any{map[string]any{"name": "web", "image": "nginx"}}}}
	return []map[string]any{
		{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "shop"}},
		{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "empty"}},
		{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "web", "namespace": "shop"},
			"spec": map[string]any{"template": template}},
		{"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": map[string]any{"name": "web-5d4", "namespace": "shop",
			"ownerReferences": owned("Deployment", "web")}, "spec": map[string]any{"template": template}},
		pod("web-5d4-a"), pod("web-5d4-b"),
	}
}

// TestNetpolLivePodsReportedOnOwner: the running pods of a Deployment give
// one finding, on the Deployment, not one per pod.
func TestNetpolLivePodsReportedOnOwner(t *testing.T) {
	inv := liveInventory(t, liveWeb()...)
	for _, id := range []finding.RuleID{"pod-not-isolated", "egress-to-internet-allowed", "egress-to-metadata-endpoint"} {
		got := runOnInventory(t, id, inv)
		if len(got) != 1 || got[0].Object.Kind != "Deployment" || got[0].Object.Name != "web" {
			t.Errorf("%s: want one finding on Deployment shop/web, got %+v", id, got)
		}
	}
}

// TestNetpolSelectsNothingLive: a cluster holds every pod, so a policy in
// a namespace without pods selects nothing; files of policies alone are
// not judged.
func TestNetpolSelectsNothingLive(t *testing.T) {
	objs := append(liveWeb(), map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
		"metadata": map[string]any{"name": "stale", "namespace": "empty"},
		"spec":     map[string]any{"podSelector": map[string]any{}}})
	got := runOnInventory(t, "network-policy-selects-nothing", liveInventory(t, objs...))
	if len(got) != 1 || got[0].Object.Name != "stale" || !strings.Contains(got[0].Message, "namespace empty runs none") {
		t.Fatalf("got %+v", got)
	}
}

// TestNetpolDefaultDenySeverity: a namespace without workloads on the pod
// network is reported one level lower; the message names the open
// workloads and the related objects the policies of that direction.
func TestNetpolDefaultDenySeverity(t *testing.T) {
	inv := liveInventory(t, append(liveWeb(), map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
		"metadata": map[string]any{"name": "web-egress", "namespace": "shop"},
		"spec": map[string]any{"podSelector": map[string]any{"matchLabels": map[string]any{"app": "web"}},
			"policyTypes": []any{"Egress"}}})...)
	sev := map[string]finding.Severity{}
	for _, f := range runOnInventory(t, "namespace-without-default-deny-ingress", inv) {
		sev[f.Object.Name] = f.Severity
		if f.Object.Name == "shop" && !strings.Contains(f.Message, "open to any client today: Deployment shop/web (2 of 2 workloads)") {
			t.Errorf("message %q", f.Message)
		}
		if len(f.Related) != 0 {
			t.Errorf("an egress policy is not related to the ingress deny: %+v", f.Related)
		}
	}
	if sev["shop"] != finding.SeverityMedium || sev["empty"] != finding.SeverityLow {
		t.Errorf("ingress severities %v", sev)
	}
	for _, f := range runOnInventory(t, "namespace-without-default-deny-egress", inv) {
		if f.Object.Name == "shop" {
			if f.Severity != finding.SeverityLow || len(f.Related) != 1 || f.Related[0].Object.Name != "web-egress" {
				t.Errorf("egress finding %+v", f)
			}
			if !strings.Contains(f.Message, "other policies isolate its 2 workloads today") {
				t.Errorf("message %q", f.Message)
			}
		}
		if f.Object.Name == "empty" && f.Severity != finding.SeverityInfo {
			t.Errorf("empty namespace egress severity %s", f.Severity)
		}
	}
}

// TestNetpolRelatedNamesTheRule: the egress findings name the policy rule
// that allows the connection, with its text.
func TestNetpolRelatedNamesTheRule(t *testing.T) {
	got := findingsOf(t, lookupRule(t, "egress-to-metadata-endpoint"), "testdata/egress-to-metadata-endpoint/fail/ipv6-endpoint.yaml")
	if len(got) != 1 {
		t.Fatalf("want one finding, got %d", len(got))
	}
	want := finding.Related{Role: "rule", Object: finding.ObjectRef{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: "shop", Name: "web-egress"},
		Detail: "egress rule 1: to ipBlock 0.0.0.0/0 except 169.254.169.254/32 or ipBlock fd00::/8; every port"}
	if len(got[0].Related) != 1 || got[0].Related[0] != want {
		t.Errorf("related %+v", got[0].Related)
	}
	if !strings.Contains(got[0].Message, "fd00:ec2::254 through NetworkPolicy shop/web-egress egress rule 1") ||
		strings.Contains(got[0].Message, "169.254.169.254 ") {
		t.Errorf("message %q", got[0].Message)
	}
}
