package scan_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/scan"
)

var update = flag.Bool("update", false, "rewrite golden files")

const examples = "../../examples"

func scanExamples(t *testing.T, sub string) *scan.Result {
	t.Helper()
	cfg, err := config.Load(filepath.Join(examples, config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	res, err := scan.Run(context.Background(), scan.Options{
		Config: cfg,
		Now:    func() time.Time { return time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC) },
		Load:   inventory.LoadOptions{Paths: []string{filepath.Join(examples, sub)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if errs := res.InputErrors(); len(errs) > 0 {
		t.Fatalf("examples do not load: %v", errs)
	}
	return res
}

// TestGoldenAppIsClean: the compliant app produces zero findings.
func TestGoldenAppIsClean(t *testing.T) {
	res := scanExamples(t, "golden-app")
	if len(res.Inventory.Objects) < 5 {
		t.Fatalf("golden app has %d objects", len(res.Inventory.Objects))
	}
	for _, f := range res.Findings {
		t.Errorf("golden app: %s %s %s: %s", f.Rule, f.Object, f.Path, f.Message)
	}
}

// TestIncidentsAreCaught: each incident the manifests can show yields the
// findings that tell its story.
func TestIncidentsAreCaught(t *testing.T) {
	want := map[string][]finding.RuleID{
		"incidents/lateral-movement": {"namespace-without-psa-labels", "privileged-container", "host-network", "service-account-token-automounted",
			"rbac-pod-exec", "rbac-workload-create"},
		"incidents/token-leak": {"env-dump-at-startup", "default-service-account", "service-account-token-automounted", "hardcoded-credential", "secret-in-env",
			"rbac-secrets-read"},
		"scenarios/bots-hammering-api": {"rbac-anonymous-access"},
		"incidents/unpinned-hotfix":    {"image-latest-tag", "image-not-pinned", "image-registry-not-allowed"},
	}
	for dir, rules := range want {
		res := scanExamples(t, dir)
		got := map[finding.RuleID]bool{}
		for _, f := range res.Findings {
			got[f.Rule] = true
		}
		for _, r := range rules {
			if !got[r] {
				t.Errorf("%s: no %s finding", dir, r)
			}
		}
	}
}

// TestExamplesGolden pins every finding on the examples (regenerate with
// go test ./pkg/scan -update).
func TestExamplesGolden(t *testing.T) {
	res := scanExamples(t, "")
	var b strings.Builder
	for _, f := range res.Findings {
		file, line := "", 0
		if f.Source != nil {
			file, line = strings.TrimPrefix(filepath.ToSlash(f.Source.File), examples+"/"), f.Source.Line
		}
		fmt.Fprintf(&b, "%s:%d %s %s %s %s\n", file, line, f.Severity, f.Rule, f.Object, f.Path)
	}
	golden := filepath.Join("testdata", "examples.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("findings on examples/ changed (go test ./pkg/scan -update to accept):\n%s", b.String())
	}
	if b.Len() == 0 {
		t.Fatal("no findings on the examples")
	}
}
