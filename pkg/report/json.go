package report

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"sync"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// SchemaVersion names the JSON output's format; it changes only with an
// incompatible change. The JSON Schema describing it is Schema().
const SchemaVersion = "kharden.dev/findings/v1"

// findingsSchema is the canonical JSON Schema of the JSON output.
// docs/schema/findings.v1.json is a copy that the package's tests keep
// identical (go test ./pkg/report -update rewrites it).
//
//go:embed findings.v1.json
var findingsSchema []byte

// Schema returns the JSON Schema (draft 2020-12) of the JSON output, for
// `kharden schema` and for consumers that validate.
func Schema() []byte { return append([]byte(nil), findingsSchema...) }

// jsonReport is the JSON output's top-level object. Unlike the human
// formats it always lists suppressed findings, marked with "suppressed":
// machines filter.
type jsonReport struct {
	SchemaVersion string                 `json:"schemaVersion"`
	Tool          jsonTool               `json:"tool"`
	Inputs        []string               `json:"inputs"`
	Baseline      string                 `json:"baseline,omitempty"`
	Summary       Summary                `json:"summary"`
	Rules         []jsonRule             `json:"rules"`
	Findings      []finding.Finding      `json:"findings"`
	Diagnostics   []inventory.Diagnostic `json:"diagnostics"`
}

type jsonTool struct {
	Name           string `json:"name"`
	Version        string `json:"version"`
	InformationURI string `json:"informationUri,omitempty"`
}

// jsonRule is the short form of a rule that ran: enough to tell which
// checks passed; docs live in the catalogue and in SARIF.
type jsonRule struct {
	ID       finding.RuleID   `json:"id"`
	Category finding.Category `json:"category"`
	Severity finding.Severity `json:"severity"`
	Level    finding.Level    `json:"pssLevel,omitempty"`
	Summary  string           `json:"summary"`
	Engine   string           `json:"engine,omitempty"`
}

func renderJSON(w io.Writer, v *view) error {
	out := jsonReport{
		SchemaVersion: SchemaVersion,
		Tool:          jsonTool{Name: v.toolName(), Version: v.Tool.Version, InformationURI: v.Tool.InformationURI},
		Inputs:        append([]string{}, v.Inputs...),
		Baseline:      v.Baseline,
		Summary:       v.summary,
		Rules:         make([]jsonRule, 0, len(v.rules)),
		Diagnostics:   append([]inventory.Diagnostic{}, v.diags...),
	}
	for _, r := range v.rules {
		out.Rules = append(out.Rules, jsonRule{ID: r.ID, Category: r.Category, Severity: r.Severity,
			Level: r.Level, Summary: r.Summary, Engine: r.Engine})
	}
	// Findings are streamed one by one into their place (a large scan has
	// thousands): the rest of the report is encoded around an empty list.
	var head bytes.Buffer
	enc := json.NewEncoder(&head)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	const empty = `"findings": null`
	at := bytes.Index(head.Bytes(), []byte(empty))
	if at < 0 {
		return errors.New("report: JSON skeleton without its findings")
	}
	// One finding per line: readable, diff-friendly, and marshalled in
	// parallel (indenting thousands of findings dominated the run).
	lines, err := marshalEach(v.findings)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	bw.Write(head.Bytes()[:at])
	bw.WriteString(`"findings": [`)
	for i, b := range lines {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(b)
	}
	if len(lines) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteByte(']')
	bw.Write(head.Bytes()[at+len(empty):])
	return bw.Flush()
}

// marshalEach encodes every finding compactly, on all CPUs, keeping order.
func marshalEach(fs []finding.Finding) ([][]byte, error) {
	out := make([][]byte, len(fs))
	errs := make([]error, len(fs))
	workers := runtime.GOMAXPROCS(0)
	step := (len(fs) + workers - 1) / max(workers, 1)
	var wg sync.WaitGroup
	for lo := 0; lo < len(fs); lo += step {
		hi := min(lo+step, len(fs))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				out[i], errs[i] = json.Marshal(&fs[i])
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}
