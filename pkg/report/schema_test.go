package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// docsSchema is the published copy of the schema; findings.v1.json in this
// package is the source, embedded for `kharden schema`.
var docsSchema = filepath.Join("..", "..", "docs", "schema", "findings.v1.json")

func TestSchemaDocsCopyIsIdentical(t *testing.T) {
	if *update {
		if err := os.WriteFile(docsSchema, findingsSchema, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	docs, err := os.ReadFile(docsSchema)
	if err != nil {
		t.Fatalf("%v (run go test ./pkg/report -update)", err)
	}
	if !bytes.Equal(docs, findingsSchema) {
		t.Errorf("%s differs from pkg/report/findings.v1.json, the source: run go test ./pkg/report -update", docsSchema)
	}
	if !bytes.Equal(Schema(), findingsSchema) {
		t.Error("Schema() does not return the embedded schema")
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	const url = "https://kharden.dev/schema/findings.v1.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("schema does not compile: %v", err)
	}
	return sch
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	return v
}

func TestJSONOutputValidatesAgainstSchema(t *testing.T) {
	sch := compileSchema(t)
	for name, r := range map[string]*Report{"full": fullReport(), "empty": emptyReport()} {
		t.Run(name, func(t *testing.T) {
			out := render(t, FormatJSON, r, Options{})
			if err := sch.Validate(decodeJSON(t, out)); err != nil {
				t.Errorf("JSON output does not validate:\n%v", err)
			}
		})
	}
}

// TestSchemaRejectsBrokenDocuments proves the schema has teeth: the valid
// document passes, and each mutation of it — the drift a refactoring could
// cause — fails. A mutation that finds nothing to change fails the test,
// so this cannot pass empty.
func TestSchemaRejectsBrokenDocuments(t *testing.T) {
	sch := compileSchema(t)
	valid := render(t, FormatJSON, fullReport(), Options{})
	if err := sch.Validate(decodeJSON(t, valid)); err != nil {
		t.Fatalf("the unmodified document must validate: %v", err)
	}
	type doc = map[string]any
	firstFinding := func(d doc) doc { return d["findings"].([]any)[0].(doc) }
	suppressedFinding := func(d doc) doc {
		for _, f := range d["findings"].([]any) {
			if _, ok := f.(doc)["suppressed"]; ok {
				return f.(doc)
			}
		}
		return nil
	}
	sourced := func(d doc) doc {
		for _, f := range d["findings"].([]any) {
			if s, ok := f.(doc)["source"].(doc); ok && s["line"] != nil {
				return s
			}
		}
		return nil
	}
	mutations := map[string]func(d doc) bool{
		"no schemaVersion":       func(d doc) bool { return del(d, "schemaVersion") },
		"other schemaVersion":    func(d doc) bool { return set(d, "schemaVersion", "kharden.dev/findings/v2") },
		"no findings":            func(d doc) bool { return del(d, "findings") },
		"unknown top-level":      func(d doc) bool { return add(d, "generatedAt", "2026-01-01") },
		"unknown severity":       func(d doc) bool { return set(firstFinding(d), "severity", "severe") },
		"severity as number":     func(d doc) bool { return set(firstFinding(d), "severity", 3) },
		"unknown category":       func(d doc) bool { return set(firstFinding(d), "category", "misc") },
		"unknown pss level":      func(d doc) bool { return set(firstFinding(d), "pssLevel", "privileged") },
		"rule id not kebab-case": func(d doc) bool { return set(firstFinding(d), "rule", "Privileged_Container") },
		"no fingerprint":         func(d doc) bool { return del(firstFinding(d), "fingerprint") },
		"bad fingerprint":        func(d doc) bool { return set(firstFinding(d), "fingerprint", "not-a-hash") },
		"no message":             func(d doc) bool { return del(firstFinding(d), "message") },
		"null references":        func(d doc) bool { return set(firstFinding(d), "references", nil) },
		"extra finding field":    func(d doc) bool { return add(firstFinding(d), "value", "hunter2") },
		"object without kind":    func(d doc) bool { return del(firstFinding(d)["object"].(doc), "kind") },
		"line zero":              func(d doc) bool { return set(sourced(d), "line", 0) },
		"source without file":    func(d doc) bool { return del(sourced(d), "file") },
		"unknown suppression":    func(d doc) bool { return set(suppressedFinding(d)["suppressed"].(doc), "kind", "manual") },
		"negative count":         func(d doc) bool { return set(d["summary"].(doc), "findings", -1) },
		"summary missing info":   func(d doc) bool { return del(d["summary"].(doc)["bySeverity"].(doc), "info") },
		"unknown category count": func(d doc) bool { return add(d["summary"].(doc)["byCategory"].(doc), "misc", 1) },
		"diagnostic without message": func(d doc) bool {
			return del(d["diagnostics"].([]any)[0].(doc), "message")
		},
		"rule without summary": func(d doc) bool { return del(d["rules"].([]any)[0].(doc), "summary") },
	}
	for name, mutate := range mutations {
		t.Run(name, func(t *testing.T) {
			var d doc
			if err := json.Unmarshal(valid, &d); err != nil {
				t.Fatal(err)
			}
			if !mutate(d) {
				t.Fatal("mutation found nothing to change: the fixture lost what this case needs")
			}
			b, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(decodeJSON(t, b)); err == nil {
				t.Error("schema accepted the broken document")
			}
		})
	}
}

func del(m map[string]any, k string) bool {
	if m == nil {
		return false
	}
	_, ok := m[k]
	delete(m, k)
	return ok
}

func set(m map[string]any, k string, v any) bool {
	if m == nil {
		return false
	}
	m[k] = v
	return true
}

func add(m map[string]any, k string, v any) bool {
	if m == nil {
		return false
	}
	if _, exists := m[k]; exists {
		return false
	}
	m[k] = v
	return true
}

// TestSchemaMatchesGoTypes catches drift between the Go types the JSON is
// written from and the schema: every JSON field of each type must be a
// property of its schema definition and the other way round, and required
// properties must be fields that are never omitted.
func TestSchemaMatchesGoTypes(t *testing.T) {
	var schema map[string]any
	if err := json.Unmarshal(Schema(), &schema); err != nil {
		t.Fatal(err)
	}
	defs := schema["$defs"].(map[string]any)
	summaryDef := defs["summary"].(map[string]any)
	cases := []struct {
		name string
		typ  reflect.Type
		def  map[string]any
	}{
		{"report", reflect.TypeFor[jsonReport](), schema},
		{"tool", reflect.TypeFor[jsonTool](), defs["tool"].(map[string]any)},
		{"rule", reflect.TypeFor[jsonRule](), defs["rule"].(map[string]any)},
		{"summary", reflect.TypeFor[Summary](), summaryDef},
		{"bySeverity", reflect.TypeFor[SeverityCounts](),
			summaryDef["properties"].(map[string]any)["bySeverity"].(map[string]any)},
		{"finding", reflect.TypeFor[finding.Finding](), defs["finding"].(map[string]any)},
		{"object", reflect.TypeFor[finding.ObjectRef](), defs["object"].(map[string]any)},
		{"source", reflect.TypeFor[finding.Source](), defs["source"].(map[string]any)},
		{"suppression", reflect.TypeFor[finding.Suppression](), defs["suppression"].(map[string]any)},
		{"diagnostic", reflect.TypeFor[inventory.Diagnostic](), defs["diagnostic"].(map[string]any)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fields, always := jsonFields(tc.typ)
			var props []string
			for k := range tc.def["properties"].(map[string]any) {
				props = append(props, k)
			}
			slices.Sort(props)
			if !slices.Equal(fields, props) {
				t.Errorf("Go fields %v, schema properties %v", fields, props)
			}
			for _, r := range tc.def["required"].([]any) {
				if !slices.Contains(always, r.(string)) {
					t.Errorf("schema requires %q but the Go field may be omitted", r)
				}
			}
			if tc.def["additionalProperties"] != false {
				t.Errorf("definition %s should be closed (additionalProperties: false)", tc.name)
			}
		})
	}
}

// jsonFields lists the JSON names of a struct's fields, sorted, and those
// never omitted.
func jsonFields(typ reflect.Type) (all, always []string) {
	for f := range typ.Fields() {
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		all = append(all, name)
		if !strings.Contains(opts, "omitempty") {
			always = append(always, name)
		}
	}
	slices.Sort(all)
	return all, always
}
