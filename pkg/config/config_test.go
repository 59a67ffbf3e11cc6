package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kharden/kharden/pkg/finding"
)

func TestParse(t *testing.T) {
	c, err := Parse([]byte(`
rules:
  image-not-pinned: {enabled: false}
  missing-probes: {severity: high}
allowedRegistries: [ghcr.io/acme]
productionNamespaces: [prod-*]
exceptions:
- rules: [host-path-volume]
  owner: platform
  reason: node exporter
  expires: 2027-01-31
  scope: {namespaces: [monitoring]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.RuleEnabled("image-not-pinned", true) || !c.RuleEnabled("host-pid", true) || c.RuleEnabled("x", false) {
		t.Error("RuleEnabled")
	}
	if c.SeverityFor("missing-probes", finding.SeverityLow) != finding.SeverityHigh || c.SeverityFor("host-pid", finding.SeverityCritical) != finding.SeverityCritical {
		t.Error("SeverityFor")
	}
	if !c.IsProduction("prod-eu") || c.IsProduction("staging") {
		t.Error("IsProduction")
	}
	if c.PSSVersion != "latest" || len(c.OwnerKeys) == 0 || c.DataClassificationKey == "" {
		t.Errorf("defaults not applied: %+v", c)
	}
}

func TestParseRejects(t *testing.T) {
	tests := map[string]string{
		"unknown key":          "allowedRegistrys: [x]",
		"bad severity":         "rules: {a: {severity: severe}}",
		"exception no owner":   "exceptions: [{rules: [a], reason: r, expires: 2027-01-01}]",
		"exception no expiry":  "exceptions: [{rules: [a], owner: o, reason: r}]",
		"exception bad expiry": "exceptions: [{rules: [a], owner: o, reason: r, expires: soon}]",
		"exception no rules":   "exceptions: [{owner: o, reason: r, expires: 2027-01-01}]",
	}
	for name, doc := range tests {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestExpired(t *testing.T) {
	day := time.Date(2026, 6, 1, 23, 59, 0, 0, time.UTC)
	if exp, _ := Expired("2026-06-01", day); exp {
		t.Error("an exception is good through its last day")
	}
	if exp, _ := Expired("2026-05-31", day); !exp {
		t.Error("yesterday's exception still applies")
	}
	if _, err := Expired("tomorrow", day); err == nil {
		t.Error("bad date accepted")
	}
}

func TestFindUpward(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, FileName), []byte("ownerKeys: [squad]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := Find(deep)
	if !strings.HasSuffix(p, filepath.Join(filepath.Base(root), FileName)) {
		t.Fatalf("Find = %q", p)
	}
	c, err := Load(p)
	if err != nil || c.OwnerKeys[0] != "squad" {
		t.Fatalf("Load: %v %+v", err, c)
	}
}

func TestOwner(t *testing.T) {
	keys := []string{"team", "owner"}
	tests := []struct {
		labels, annotations map[string]string
		want                string
	}{
		{map[string]string{"team": "pay"}, map[string]string{"team": "other"}, "pay"},
		{nil, map[string]string{"team": "pay"}, "pay"},
		{map[string]string{"owner": "ops"}, map[string]string{"team": "pay"}, "pay"}, // first key wins, label or annotation
		{map[string]string{"team": ""}, map[string]string{"owner": "ops"}, "ops"},
		{nil, nil, ""},
	}
	for _, tt := range tests {
		if got := Owner(tt.labels, tt.annotations, keys); got != tt.want {
			t.Errorf("Owner(%v, %v) = %q, want %q", tt.labels, tt.annotations, got, tt.want)
		}
	}
}
