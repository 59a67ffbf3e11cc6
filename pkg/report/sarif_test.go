package report

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kharden/kharden/pkg/finding"
)

// officialSARIFSchema compiles the OASIS SARIF 2.1.0 JSON schema (errata
// 01) that go-sarif embeds. go-sarif's own Validate re-marshals its structs,
// which turns every omitted optional array into null; the raw output must be
// validated instead, so the schema text is read from the module's source.
func officialSARIFSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/owenrumney/go-sarif/v3").Output()
	if err != nil {
		t.Fatalf("locating go-sarif: %v", err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "pkg", "report", "v210", "sarif", "schema.go"))
	if err != nil {
		t.Fatal(err)
	}
	_, text, ok := strings.Cut(string(src), "const schema = `")
	text, _, ok2 := strings.Cut(text, "`")
	if !ok || !ok2 {
		t.Fatal("go-sarif's schema.go no longer holds the schema as expected")
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compiling the SARIF schema: %v", err)
	}
	return sch
}

func TestSARIFValidatesAgainstOfficialSchema(t *testing.T) {
	sch := officialSARIFSchema(t)
	for name, r := range map[string]*Report{"full": fullReport(), "empty": emptyReport()} {
		t.Run(name, func(t *testing.T) {
			out := render(t, FormatSARIF, r, Options{})
			if err := sch.Validate(decodeJSON(t, out)); err != nil {
				t.Errorf("SARIF does not validate:\n%v", err)
			}
			// And go-sarif can read it back.
			if _, err := sarif.FromBytes(out); err != nil {
				t.Errorf("go-sarif cannot read the output: %v", err)
			}
		})
	}
}

// TestSARIFValidatorHasTeeth makes sure the validation above can fail.
func TestSARIFValidatorHasTeeth(t *testing.T) {
	sch := officialSARIFSchema(t)
	out := render(t, FormatSARIF, fullReport(), Options{})
	mutations := map[string]func(run map[string]any){
		"bad level": func(run map[string]any) {
			run["results"].([]any)[0].(map[string]any)["level"] = "critical"
		},
		"bad suppression kind": func(run map[string]any) {
			for _, r := range run["results"].([]any) {
				if s, ok := r.(map[string]any)["suppressions"].([]any); ok {
					s[0].(map[string]any)["kind"] = "baseline"
				}
			}
		},
		"line zero": func(run map[string]any) {
			for _, r := range run["results"].([]any) {
				for _, l := range r.(map[string]any)["locations"].([]any) {
					if pl, ok := l.(map[string]any)["physicalLocation"].(map[string]any); ok {
						if reg, ok := pl["region"].(map[string]any); ok {
							reg["startLine"] = 0
						}
					}
				}
			}
		},
		"no driver": func(run map[string]any) { delete(run["tool"].(map[string]any), "driver") },
	}
	for name, mutate := range mutations {
		t.Run(name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(out, &doc); err != nil {
				t.Fatal(err)
			}
			mutate(doc["runs"].([]any)[0].(map[string]any))
			b, _ := json.Marshal(doc)
			if sch.Validate(decodeJSON(t, b)) == nil {
				t.Error("the SARIF schema accepted a broken document")
			}
		})
	}
}

// sarifDoc is the part of a SARIF log these tests read, decoded from the
// raw output (not through go-sarif) so that the bytes themselves are checked.
type sarifDoc struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name           string `json:"name"`
				Version        string `json:"version"`
				InformationURI string `json:"informationUri"`
				Rules          []struct {
					ID               string                          `json:"id"`
					Name             string                          `json:"name"`
					ShortDescription struct{ Text string }           `json:"shortDescription"`
					FullDescription  struct{ Text string }           `json:"fullDescription"`
					Help             struct{ Text, Markdown string } `json:"help"`
					Default          struct{ Level string }          `json:"defaultConfiguration"`
					Properties       map[string]any                  `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex *int   `json:"ruleIndex"`
			Level     string `json:"level"`
			Message   struct {
				Text string `json:"text"`
			} `json:"message"`
			Locations []struct {
				Physical *struct {
					Artifact struct {
						URI    string `json:"uri"`
						BaseID string `json:"uriBaseId"`
					} `json:"artifactLocation"`
					Region *struct {
						StartLine   int `json:"startLine"`
						StartColumn int `json:"startColumn"`
					} `json:"region"`
				} `json:"physicalLocation"`
				Logical []struct {
					Name string `json:"name"`
					FQN  string `json:"fullyQualifiedName"`
					Kind string `json:"kind"`
				} `json:"logicalLocations"`
			} `json:"locations"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
			Suppressions        []struct {
				Kind          string `json:"kind"`
				Justification string `json:"justification"`
			} `json:"suppressions"`
		} `json:"results"`
		Invocations []struct {
			ExecutionSuccessful bool `json:"executionSuccessful"`
			Notifications       []struct {
				Level string `json:"level"`
			} `json:"toolExecutionNotifications"`
		} `json:"invocations"`
	} `json:"runs"`
}

func TestSARIFStructure(t *testing.T) {
	r := fullReport()
	out := render(t, FormatSARIF, r, Options{})
	var doc sarifDoc
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2.1.0" || doc.Schema != sarifSchemaURI {
		t.Errorf("version %q, $schema %q", doc.Version, doc.Schema)
	}
	if len(doc.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(doc.Runs))
	}
	run := doc.Runs[0]
	d := run.Tool.Driver
	if d.Name != "kharden" || d.Version != "v0.1.0-test" || d.InformationURI != "https://github.com/kharden/kharden" {
		t.Errorf("driver = %q %q %q", d.Name, d.Version, d.InformationURI)
	}

	// One descriptor per rule, sorted by id, with everything code
	// scanning shows.
	if len(d.Rules) != len(r.Rules) {
		t.Fatalf("%d rules, want %d", len(d.Rules), len(r.Rules))
	}
	byID := map[string]Rule{}
	for _, rule := range r.Rules {
		byID[string(rule.ID)] = rule
	}
	for i, rd := range d.Rules {
		if i > 0 && d.Rules[i-1].ID >= rd.ID {
			t.Errorf("rules not sorted: %s after %s", rd.ID, d.Rules[i-1].ID)
		}
		rule, ok := byID[rd.ID]
		if !ok {
			t.Fatalf("unexpected rule %s", rd.ID)
		}
		if rd.Name != pascalCase(rd.ID) || rd.Name == "" || rd.Name[0] < 'A' || rd.Name[0] > 'Z' {
			t.Errorf("%s: name %q", rd.ID, rd.Name)
		}
		if rd.ShortDescription.Text != rule.Summary || rd.FullDescription.Text != rule.Doc {
			t.Errorf("%s: descriptions do not come from the rule", rd.ID)
		}
		if rd.Help.Text == "" || rd.Help.Markdown == "" {
			t.Errorf("%s: help missing", rd.ID)
		}
		if rd.Default.Level != sarifLevel(rule.Severity) {
			t.Errorf("%s: default level %q", rd.ID, rd.Default.Level)
		}
		if rd.Properties["security-severity"] != securitySeverity[rule.Severity] {
			t.Errorf("%s: security-severity %v", rd.ID, rd.Properties["security-severity"])
		}
		tags, _ := rd.Properties["tags"].([]any)
		if len(tags) < 2 || tags[0] != "security" || tags[1] != string(rule.Category) {
			t.Errorf("%s: tags %v", rd.ID, tags)
		}
		if rule.Level != finding.LevelNone && (len(tags) != 3 || tags[2] != "pss-"+string(rule.Level)) {
			t.Errorf("%s: tags %v lack the PSS level", rd.ID, tags)
		}
	}

	// One result per finding, suppressed ones included.
	if len(run.Results) != len(r.Findings) {
		t.Fatalf("%d results, want %d", len(run.Results), len(r.Findings))
	}
	var suppressed, noFile, noLine int
	for _, res := range run.Results {
		if res.RuleIndex == nil || *res.RuleIndex < 0 || *res.RuleIndex >= len(d.Rules) || d.Rules[*res.RuleIndex].ID != res.RuleID {
			t.Errorf("%s: ruleIndex does not point at its rule", res.RuleID)
			continue
		}
		rule := byID[res.RuleID]
		if res.Level != sarifLevel(rule.Severity) {
			t.Errorf("%s: level %q", res.RuleID, res.Level)
		}
		if len(res.PartialFingerprints[fingerprintKey]) != 32 {
			t.Errorf("%s: partial fingerprint %v", res.RuleID, res.PartialFingerprints)
		}
		if len(res.Locations) != 1 || len(res.Locations[0].Logical) == 0 || res.Locations[0].Logical[0].Kind != "resource" {
			t.Errorf("%s: locations %+v", res.RuleID, res.Locations)
			continue
		}
		loc := res.Locations[0]
		switch {
		case loc.Physical == nil:
			noFile++
		case loc.Physical.Artifact.BaseID != srcRoot:
			t.Errorf("%s: uriBaseId %q", res.RuleID, loc.Physical.Artifact.BaseID)
		case loc.Physical.Region == nil:
			noLine++
		case loc.Physical.Region.StartLine < 1:
			t.Errorf("%s: region %+v", res.RuleID, loc.Physical.Region)
		}
		for _, s := range res.Suppressions {
			suppressed++
			if s.Kind != "inSource" && s.Kind != "external" || s.Justification == "" {
				t.Errorf("%s: suppression %+v", res.RuleID, s)
			}
		}
	}
	// The fixture has 3 suppressed findings, 1 without a file and 2 Helm
	// findings without a line: if it changes, update these numbers.
	if suppressed != 3 || noFile != 1 || noLine != 2 {
		t.Errorf("suppressed %d, without file %d, without line %d; want 3, 1, 2", suppressed, noFile, noLine)
	}
	if inv := run.Invocations; len(inv) != 1 || inv[0].ExecutionSuccessful || len(inv[0].Notifications) != 2 {
		t.Errorf("invocations %+v: want one, unsuccessful (input error), with 2 notifications", inv)
	}
}

func TestSARIFSuppressionKinds(t *testing.T) {
	for kind, want := range map[finding.SuppressionKind]string{
		finding.SuppressedByAnnotation: "inSource",
		finding.SuppressedByConfig:     "external",
		finding.SuppressedByBaseline:   "external",
	} {
		if got := suppressionKind(kind); got != want {
			t.Errorf("suppressionKind(%s) = %s, want %s", kind, got, want)
		}
	}
}

func TestSARIFLevels(t *testing.T) {
	for sev, want := range map[finding.Severity]string{
		finding.SeverityCritical: "error", finding.SeverityHigh: "error",
		finding.SeverityMedium: "warning", finding.SeverityLow: "note", finding.SeverityInfo: "note",
	} {
		if got := sarifLevel(sev); got != want {
			t.Errorf("sarifLevel(%s) = %s, want %s", sev, got, want)
		}
		if securitySeverity[sev] == "" {
			t.Errorf("no security-severity for %s", sev)
		}
	}
}

func TestArtifactURI(t *testing.T) {
	tests := []struct {
		file, uri, base string
		ok              bool
	}{
		{"deploy/web.yaml", "deploy/web.yaml", srcRoot, true},
		{"./deploy/../deploy/web.yaml", "deploy/web.yaml", srcRoot, true},
		{"deploy/my app/web.yaml", "deploy/my%20app/web.yaml", srcRoot, true},
		{"deploy/a#b.yaml", "deploy/a%23b.yaml", srcRoot, true},
		{"/abs/web.yaml", "file:///abs/web.yaml", "", true},
		{"-", "", "", false},
		{"", "", "", false},
	}
	for _, tc := range tests {
		uri, base, ok := artifactURI(tc.file)
		if uri != tc.uri || base != tc.base || ok != tc.ok {
			t.Errorf("artifactURI(%q) = %q, %q, %v; want %q, %q, %v", tc.file, uri, base, ok, tc.uri, tc.base, tc.ok)
		}
	}
}

func TestPascalCase(t *testing.T) {
	for in, want := range map[string]string{
		"privileged-container":     "PrivilegedContainer",
		"image-latest-tag":         "ImageLatestTag",
		"host-pid":                 "HostPid",
		"pss-proc-mount":           "PssProcMount",
		"x":                        "X",
		"service-account-token-v1": "ServiceAccountTokenV1",
	} {
		if got := pascalCase(in); got != want {
			t.Errorf("pascalCase(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSARIFUnlistedRule: a finding whose rule is missing from Rules still
// gets a descriptor, so its ruleIndex resolves.
func TestSARIFUnlistedRule(t *testing.T) {
	r := emptyReport()
	r.Findings = []finding.Finding{mk(ruleHostPath, objWeb, src("deploy/web.yaml", 9, 0), "spec.volumes[0].hostPath", "", "hostPath volume", "")}
	out := render(t, FormatSARIF, r, Options{})
	var doc sarifDoc
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	rules := doc.Runs[0].Tool.Driver.Rules
	res := doc.Runs[0].Results[0]
	if len(rules) != 3 || *res.RuleIndex != 2 || rules[2].ID != string(ruleHostPath.ID) {
		t.Errorf("rules %d, ruleIndex %d", len(rules), *res.RuleIndex)
	}
	if reg := res.Locations[0].Physical.Region; reg == nil || reg.StartLine != 9 || reg.StartColumn != 0 {
		t.Errorf("region %+v: want line 9 and no column", reg)
	}
}
