package checks_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// runRuleWith runs one rule on a file with the given configuration.
func runRuleWith(t *testing.T, cfg *config.Config, file string, id finding.RuleID) []finding.Finding {
	t.Helper()
	on, off := true, false
	cfg.Rules = map[finding.RuleID]config.RuleConfig{}
	for _, c := range checks.Catalogue() {
		cfg.Rules[c.ID] = config.RuleConfig{Enabled: &off}
	}
	cfg.Rules[id] = config.RuleConfig{Enabled: &on}
	inv, err := inventory.Load(context.Background(), inventory.LoadOptions{Paths: []string{file}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := checks.NewRunner(checks.Catalogue(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	hits, _ := r.Run(inv)
	var out []finding.Finding
	for _, h := range hits {
		if h.Finding.Rule == id {
			out = append(out, h.Finding)
		}
	}
	return out
}

func TestProjectedTokenBound(t *testing.T) {
	const file = "testdata/projected-token-long-lived/pass/default-lifetime.yaml" // 3600 unset, 3600, 86400
	if got := runRuleWith(t, config.Default(), file, "projected-token-long-lived"); len(got) != 0 {
		t.Fatalf("default bound: want no finding, got %q", got[0].Message)
	}
	cfg := config.Default()
	cfg.MaxTokenExpirationSeconds = 3600
	got := runRuleWith(t, cfg, file, "projected-token-long-lived")
	if len(got) != 1 {
		t.Fatalf("bound 3600: want one finding (the 86400 token), got %d", len(got))
	}
	f := got[0]
	if f.Object.Name != "c" || f.Path != "spec.template.spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds" {
		t.Errorf("finding on %s at %s", f.Object, f.Path)
	}
	if !strings.Contains(f.Message, "lives 1d (expirationSeconds 86400), over the bound of 1h0m0s") {
		t.Errorf("message %q", f.Message)
	}
}
