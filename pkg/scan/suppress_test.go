package scan_test

import (
	"testing"
	"time"

	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/scan"
)

const suppressManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: annotated
  namespace: legacy
  annotations:
    kharden.dev/ignore: "image-latest-tag, missing-probes"
    kharden.dev/ignore-reason: "vendor chart; SEC-1"
    kharden.dev/ignore-until: "2026-12-31"
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec:
      containers:
      - name: a
        image: vendor/app:latest
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: expired
  namespace: legacy
  annotations:
    kharden.dev/ignore: "image-latest-tag"
    kharden.dev/ignore-reason: "was temporary"
    kharden.dev/ignore-until: "2026-01-01"
spec:
  selector: {matchLabels: {app: b}}
  template:
    metadata: {labels: {app: b}}
    spec:
      containers:
      - name: b
        image: vendor/app:latest
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: configured
  namespace: monitoring
spec:
  selector: {matchLabels: {app: c}}
  template:
    metadata: {labels: {app: c}}
    spec:
      containers:
      - name: c
        image: vendor/app:latest
`

func TestSuppression(t *testing.T) {
	objs, diags := inventory.ParseDocuments("app.yaml", []byte(suppressManifest), inventory.OriginFile)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	var b inventory.Builder
	for _, o := range objs {
		b.Add(o)
	}
	cfg, err := config.Parse([]byte(`
exceptions:
- rules: [image-latest-tag]
  owner: observability
  reason: upstream chart pins nothing
  expires: "2027-01-31"
  scope: {namespaces: [monitoring], kinds: [Deployment]}
- rules: [missing-probes]
  owner: observability
  reason: old
  expires: "2025-01-31"
  scope: {namespaces: [monitoring]}
`))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Path = ".kharden.yaml"
	res, err := scan.Inventory(b.Build(), scan.Options{Config: cfg, Now: func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	get := func(name string, rule finding.RuleID) *finding.Finding {
		for i, f := range res.Findings {
			if f.Object.Name == name && f.Rule == rule {
				return &res.Findings[i]
			}
		}
		return nil
	}
	if f := get("annotated", "image-latest-tag"); f == nil || f.Suppressed == nil || f.Suppressed.Kind != finding.SuppressedByAnnotation {
		t.Errorf("annotated: image-latest-tag not suppressed by annotation: %+v", f)
	}
	if f := get("annotated", "missing-probes"); f == nil || f.Suppressed == nil {
		t.Errorf("annotated: missing-probes not suppressed: %+v", f)
	}
	if f := get("annotated", "image-not-pinned"); f == nil || f.Suppressed != nil {
		t.Errorf("annotated: image-not-pinned must stay active: %+v", f)
	}
	if f := get("expired", "image-latest-tag"); f == nil || f.Suppressed != nil {
		t.Errorf("expired exception still applies: %+v", f)
	}
	if f := get("expired", "exception-expired"); f == nil {
		t.Error("expired annotation exception is not reported")
	}
	if f := get("configured", "image-latest-tag"); f == nil || f.Suppressed == nil || f.Suppressed.Kind != finding.SuppressedByConfig || f.Suppressed.Owner != "observability" {
		t.Errorf("configured: not suppressed by config: %+v", f)
	}
	if f := get("configured", "missing-probes"); f == nil || f.Suppressed != nil {
		t.Errorf("expired config exception still applies: %+v", f)
	}
	if f := get(".kharden.yaml", "exception-expired"); f == nil || f.Source == nil || f.Source.File != ".kharden.yaml" {
		t.Errorf("expired config exception not reported on the config file: %+v", f)
	}
	for _, f := range res.Findings {
		if f.Fingerprint == "" {
			t.Errorf("finding without fingerprint: %+v", f)
		}
	}
}
