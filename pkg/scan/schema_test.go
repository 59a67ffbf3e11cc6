package scan_test

import (
	"bytes"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/report"
	"github.com/kharden/kharden/pkg/scan"
)

// TestEveryRuleFitsTheJSONSchema renders one finding of every catalogue rule
// and validates the JSON against the published schema, so a new category or
// level cannot drift from docs/schema/findings.v1.json.
func TestEveryRuleFitsTheJSONSchema(t *testing.T) {
	cat := checks.Catalogue()
	if len(cat) == 0 {
		t.Fatal("empty catalogue")
	}
	var fs []finding.Finding
	for _, c := range cat {
		f := finding.Finding{Rule: c.ID, Category: c.Category, Severity: c.Severity, Level: c.Level,
			Object: finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "ns", Name: "p"},
			Source: &finding.Source{File: "a.yaml", Line: 3, Column: 5},
			Path:   "spec", Message: c.Summary, Remediation: c.Remediation, References: c.References}
		f.Fingerprint = f.ComputeFingerprint()
		fs = append(fs, f)
	}
	rep := &report.Report{Tool: report.Tool{Name: "kharden", Version: "test"}, Rules: scan.RuleMetadata(cat), Findings: fs, Objects: 1}
	var out bytes.Buffer
	if err := report.Render(&out, report.FormatJSON, rep, report.Options{}); err != nil {
		t.Fatal(err)
	}
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(report.Schema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	const url = "https://kharden.dev/schema/findings.v1.json"
	if err := c.AddResource(url, schemaDoc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(&out)
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Fatalf("a catalogue rule does not fit the schema: %v", err)
	}
}
