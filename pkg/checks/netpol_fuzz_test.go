package checks_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// networkRules are the rules that read the NetworkPolicy model.
var networkRules = []finding.RuleID{
	"namespace-without-default-deny-ingress", "namespace-without-default-deny-egress", "pod-not-isolated",
	"egress-to-internet-allowed", "egress-to-metadata-endpoint", "network-policy-selects-nothing",
	"namespace-open-to-all-namespaces",
}

// FuzzNetpolRules feeds arbitrary YAML to the network rules: malformed
// policies, selectors, ports and pod specs must give findings with a
// message or nothing, never a panic. Seeds are the rules' fixtures:
// go test ./pkg/checks -run XXX -fuzz FuzzNetpolRules
func FuzzNetpolRules(f *testing.F) {
	for _, id := range networkRules {
		files, _ := filepath.Glob(filepath.Join("testdata", string(id), "*", "*.yaml"))
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec:\n  podSelector: {matchExpressions: [{key: a, operator: Gt, values: ['1']}]}\n  ingress: [null, 3, {from: [{namespaceSelector: {}}, {ipBlock: {cidr: '::/0', except: ['::/1']}}]}]\n  egress: [{to: []}, {ports: []}]\n"))
	cfg := config.Default()
	on, off := true, false
	cfg.Rules = map[finding.RuleID]config.RuleConfig{}
	for _, c := range checks.Catalogue() {
		cfg.Rules[c.ID] = config.RuleConfig{Enabled: &off}
	}
	for _, id := range networkRules {
		cfg.Rules[id] = config.RuleConfig{Enabled: &on}
	}
	r, err := checks.NewRunner(checks.Catalogue(), cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, _ := inventory.ParseDocumentsLimit("fuzz.yaml", data, inventory.OriginFile, 1<<20)
		var b inventory.Builder
		for _, o := range objs {
			b.Add(o)
		}
		hits, _ := r.Run(b.Build())
		for _, h := range hits {
			if h.Finding.Message == "" {
				t.Errorf("%s on %s: empty message", h.Finding.Rule, h.Finding.Object)
			}
		}
	})
}
