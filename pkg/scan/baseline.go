package scan

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/kharden/kharden/pkg/finding"
)

// BaselineSchema names the baseline file format.
const BaselineSchema = "kharden.dev/baseline/v1"

// Baseline is the set of fingerprints of accepted findings.
type Baseline map[string]bool

// Has reports whether a fingerprint is accepted.
func (b Baseline) Has(fp string) bool { return b[fp] }

type baselineFile struct {
	SchemaVersion string          `json:"schemaVersion"`
	Findings      []baselineEntry `json:"findings"`
}

// baselineEntry keeps the rule and object beside the fingerprint so that a
// reviewer can read what a baseline accepts.
type baselineEntry struct {
	Fingerprint string `json:"fingerprint"`
	Rule        string `json:"rule"`
	Object      string `json:"object"`
}

// ReadBaseline loads a baseline file.
func ReadBaseline(path string) (Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	var f baselineFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("baseline %s: %w", path, err)
	}
	if f.SchemaVersion != BaselineSchema {
		return nil, fmt.Errorf("baseline %s: schemaVersion %q, want %q", path, f.SchemaVersion, BaselineSchema)
	}
	b := Baseline{}
	for _, e := range f.Findings {
		b[e.Fingerprint] = true
	}
	return b, nil
}

// WriteBaseline records every finding not suppressed by an exception
// (baseline-suppressed ones stay accepted).
func WriteBaseline(w io.Writer, fs []finding.Finding) error {
	f := baselineFile{SchemaVersion: BaselineSchema, Findings: []baselineEntry{}}
	seen := map[string]bool{}
	for _, x := range fs {
		if x.Suppressed != nil && x.Suppressed.Kind != finding.SuppressedByBaseline {
			continue
		}
		if seen[x.Fingerprint] {
			continue
		}
		seen[x.Fingerprint] = true
		f.Findings = append(f.Findings, baselineEntry{Fingerprint: x.Fingerprint, Rule: string(x.Rule), Object: x.Object.String()})
	}
	sort.Slice(f.Findings, func(i, j int) bool { return f.Findings[i].Fingerprint < f.Findings[j].Fingerprint })
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(f)
}
