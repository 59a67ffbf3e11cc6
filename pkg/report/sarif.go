package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/kharden/kharden/pkg/finding"
)

// SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps): one run,
// one reporting descriptor per rule that ran, one result per finding.
// Suppressed findings are results with suppressions, as the standard wants,
// so that viewers can show them as dismissed.

// srcRoot is the base of relative artifact URIs: the checkout the scan ran in.
const srcRoot = "%SRCROOT%"

// fingerprintKey names kharden's partial fingerprint; the version suffix
// lets the fingerprint change without confusing code-scanning history.
const fingerprintKey = "kharden/v1"

// securitySeverity maps severities to the numeric "security-severity"
// GitHub code scanning uses to rank alerts (critical >= 9.0, high >= 7.0,
// medium >= 4.0, low below).
var securitySeverity = map[finding.Severity]string{
	finding.SeverityCritical: "9.5",
	finding.SeverityHigh:     "8.0",
	finding.SeverityMedium:   "5.5",
	finding.SeverityLow:      "3.0",
	finding.SeverityInfo:     "1.0",
}

// sarifLevel maps a severity to a SARIF result level.
func sarifLevel(s finding.Severity) string {
	switch {
	case s >= finding.SeverityHigh:
		return sarif.LevelError
	case s == finding.SeverityMedium:
		return sarif.LevelWarning
	}
	return sarif.LevelNote
}

func renderSARIF(w io.Writer, v *view) error {
	run := sarif.NewRunWithInformationURI(v.toolName(), v.Tool.InformationURI)
	if v.Tool.InformationURI == "" {
		run.Tool.Driver.InformationURI = nil
	}
	if v.Tool.Version != "" {
		run.Tool.Driver.WithVersion(v.Tool.Version)
	}

	// Rules not in Rules but present in findings still get a descriptor,
	// after the listed ones, so that every ruleIndex resolves.
	rules := append([]Rule(nil), v.rules...)
	index := make(map[finding.RuleID]int, len(rules))
	for i, r := range rules {
		index[r.ID] = i
	}
	for i := range v.findings {
		if _, ok := index[v.findings[i].Rule]; !ok {
			index[v.findings[i].Rule] = len(rules)
			rules = append(rules, v.rule(&v.findings[i]))
		}
	}
	for _, r := range rules {
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule(r))
	}

	// Results are streamed one by one below (a large scan has thousands);
	// the skeleton holds a placeholder where they go.
	if len(v.findings) > 0 {
		run.Results = []*sarif.Result{{RuleID: &sarifResultsPlaceholder}}
	}
	inv := sarif.NewInvocation().WithExecutionSuccessful(v.summary.Errors == 0)
	for _, d := range v.diags {
		n := sarif.NewNotification().WithMessage(sarif.NewTextMessage(termSafe(d.Message)))
		n.Level = sarif.LevelError
		if d.Warning {
			n.Level = sarif.LevelWarning
		}
		if uri, base, ok := artifactURI(d.File); ok {
			pl := sarif.NewPhysicalLocation().WithArtifactLocation(artifactLocation(uri, base))
			if d.Line > 0 {
				pl.WithRegion(sarif.NewRegion().WithStartLine(d.Line))
			}
			n.Locations = append(n.Locations, sarif.NewLocation().WithPhysicalLocation(pl))
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	run.AddInvocation(inv)

	rep := sarif.NewReport()
	rep.Schema = sarifSchemaURI
	rep.AddRun(run)
	var skeleton bytes.Buffer
	if err := writeCompactSARIF(&skeleton, rep, "", "  "); err != nil {
		return err
	}
	if len(v.findings) == 0 {
		_, err := w.Write(skeleton.Bytes())
		return err
	}
	// The placeholder result compacts to {"ruleId": "<token>"} on its own
	// lines; everything before and after it is the skeleton.
	token := []byte(`"ruleId": "` + sarifResultsPlaceholder + `"`)
	at := bytes.Index(skeleton.Bytes(), token)
	if at < 0 {
		return fmt.Errorf("report: SARIF skeleton without its results placeholder")
	}
	open := bytes.LastIndexByte(skeleton.Bytes()[:at], '{')
	closing := at + bytes.IndexByte(skeleton.Bytes()[at:], '}') + 1
	indent := string(skeleton.Bytes()[bytes.LastIndexByte(skeleton.Bytes()[:open], '\n')+1 : open])
	bw := bufio.NewWriter(w)
	bw.Write(skeleton.Bytes()[:open])
	for i := range v.findings {
		if i > 0 {
			bw.WriteString(",\n" + indent)
		}
		f := &v.findings[i]
		var one bytes.Buffer
		if err := writeCompactSARIF(&one, sarifResult(f, index[f.Rule]), indent, "  "); err != nil {
			return err
		}
		bw.Write(bytes.TrimSuffix(one.Bytes(), []byte("\n")))
	}
	bw.Write(skeleton.Bytes()[closing:])
	return bw.Flush()
}

// sarifResultsPlaceholder marks where streamed results go in the skeleton.
var sarifResultsPlaceholder = "kharden-sarif-results-placeholder"

// writeCompactSARIF writes a go-sarif value as indented JSON without the
// properties that only repeat the standard's defaults: go-sarif writes every
// optional array and every -1 "unset" index; dropping them keeps a result to
// a few lines, which matters for upload limits and for review.
func writeCompactSARIF(w io.Writer, v any, prefix, indent string) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("report: writing SARIF: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("report: re-reading SARIF: %w", err)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent(prefix, indent)
	return enc.Encode(compactSARIF(doc))
}

// sarifSchemaURI is the OASIS SARIF 2.1.0 schema (errata 01), the one
// go-sarif validates against.
const sarifSchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// sarifKeepEmpty are arrays kept even when empty: "runs" is required by the
// standard, "results" by GitHub code scanning (an empty list means "no
// alerts", a missing one is an error).
var sarifKeepEmpty = map[string]bool{"runs": true, "results": true}

// sarifDefaults are scalar properties whose value is the standard's default
// (so leaving them out changes nothing).
var sarifDefaults = map[string]string{
	"index": "-1", "parentIndex": "-1", "id": "-1", "rank": "-1",
	"byteOffset": "-1", "charOffset": "-1",
	"kind": "fail", "language": "en-US", "isComprehensive": "false", "enabled": "true",
}

// sarifDefaultArrays are array properties with a non-empty default.
var sarifDefaultArrays = map[string]string{
	"newlineSequences": `["\r\n","\n"]`,
	"contents":         `["localizedData","nonLocalizedData"]`,
}

// compactSARIF removes, recursively, properties equal to their default:
// empty arrays and objects, -1 indexes, and the defaults above.
func compactSARIF(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			child = compactSARIF(child)
			t[k] = child
			if sarifIsDefault(k, child) {
				delete(t, k)
			}
		}
	case []any:
		for i := range t {
			t[i] = compactSARIF(t[i])
		}
	}
	return v
}

func sarifIsDefault(key string, v any) bool {
	switch t := v.(type) {
	case []any:
		if len(t) == 0 {
			return !sarifKeepEmpty[key]
		}
		if def, ok := sarifDefaultArrays[key]; ok {
			b, err := json.Marshal(t)
			return err == nil && string(b) == def
		}
	case map[string]any:
		return len(t) == 0
	case json.Number:
		return sarifDefaults[key] == t.String()
	case string:
		return sarifDefaults[key] == t && t != ""
	case bool:
		return sarifDefaults[key] == strconv.FormatBool(t)
	}
	return false
}

func sarifRule(r Rule) *sarif.ReportingDescriptor {
	d := sarif.NewRule(string(r.ID)).WithName(pascalCase(string(r.ID)))
	if r.Summary != "" {
		d.WithShortDescription(sarif.NewMultiformatMessageString().WithText(r.Summary))
	}
	if r.Doc != "" {
		d.WithFullDescription(sarif.NewMultiformatMessageString().WithText(r.Doc))
	}
	text, md := ruleHelp(r)
	d.WithHelp(sarif.NewMultiformatMessageString().WithText(text).WithMarkdown(md))
	d.WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(sarifLevel(r.Severity)))

	tags := []string{"security"}
	if r.Category != "" {
		tags = append(tags, string(r.Category))
	}
	if r.Level != finding.LevelNone {
		tags = append(tags, "pss-"+string(r.Level))
	}
	props := sarif.NewPropertyBag().WithTags(tags)
	props.Add("security-severity", securitySeverity[r.Severity])
	props.Add("precision", "high")
	d.WithProperties(props)
	return d
}

// ruleHelp builds a rule's help, as plain text and as markdown, from the
// catalogue's doc, remediation and references: written once, never twice.
func ruleHelp(r Rule) (text, md string) {
	var t, m strings.Builder
	if r.Summary != "" {
		t.WriteString(r.Summary + "\n\n")
		m.WriteString("**" + r.Summary + "**\n\n")
	}
	if r.Doc != "" {
		t.WriteString(r.Doc + "\n\n")
		m.WriteString(r.Doc + "\n\n")
	}
	if r.Remediation != "" {
		t.WriteString("Remediation: " + r.Remediation + "\n\n")
		m.WriteString("### Remediation\n\n" + r.Remediation + "\n\n")
	}
	if len(r.References) > 0 {
		t.WriteString("References:\n")
		m.WriteString("### References\n\n")
		for _, ref := range r.References {
			t.WriteString("- " + ref + "\n")
			m.WriteString("- " + mdEscape(ref) + "\n")
		}
	}
	if t.Len() == 0 {
		t.WriteString(string(r.ID))
		m.WriteString(string(r.ID))
	}
	return strings.TrimRight(t.String(), "\n"), strings.TrimRight(m.String(), "\n")
}

func sarifResult(f *finding.Finding, ruleIndex int) *sarif.Result {
	res := sarif.NewRuleResult(string(f.Rule)).
		WithRuleIndex(ruleIndex).
		WithLevel(sarifLevel(f.Severity)).
		WithMessage(sarif.NewTextMessage(resultMessage(f))).
		WithPartialFingerprints(map[string]string{fingerprintKey: f.Fingerprint})

	loc := sarif.NewLocation()
	if file, line, col := sourceOf(f); file != "" {
		if uri, base, ok := artifactURI(file); ok {
			pl := sarif.NewPhysicalLocation().WithArtifactLocation(artifactLocation(uri, base))
			if line > 0 {
				reg := sarif.NewRegion().WithStartLine(line)
				if col > 0 {
					reg.WithStartColumn(col)
				}
				pl.WithRegion(reg)
			}
			loc.WithPhysicalLocation(pl)
		}
	}
	obj := sarif.NewLogicalLocation().
		WithName(f.Object.Name).
		WithFullyQualifiedName(f.Object.String()).
		WithKind("resource")
	loc.AddLogicalLocation(obj)
	if f.Path != "" {
		loc.AddLogicalLocation(sarif.NewLogicalLocation().
			WithName(f.Path).
			WithFullyQualifiedName(f.Object.String() + ":" + f.Path).
			WithKind("property"))
	}
	res.AddLocation(loc)
	for i, r := range f.Related {
		msg := r.Role + ": " + r.Object.String()
		if r.Detail != "" {
			msg += " (" + r.Detail + ")"
		}
		res.AddRelatedLocation(sarif.NewLocation().WithID(i + 1).
			WithMessage(sarif.NewTextMessage(msg)).
			AddLogicalLocation(sarif.NewLogicalLocation().
				WithName(r.Object.Name).
				WithFullyQualifiedName(r.Object.String()).
				WithKind("resource")))
	}

	props := sarif.NewPropertyBag()
	props.Add("severity", f.Severity.String())
	props.Add("category", string(f.Category))
	props.Add("apiVersion", f.Object.APIVersion)
	if f.Container != "" {
		props.Add("container", f.Container)
	}
	if f.Owner != "" {
		props.Add("owner", f.Owner)
	}
	res.WithProperties(props)

	if s := f.Suppressed; s != nil {
		sup := sarif.NewSuppression().WithKind(suppressionKind(s.Kind)).WithStatus("accepted")
		if s.Reason != "" {
			sup.WithJustification(s.Reason)
		}
		sp := sarif.NewPropertyBag()
		sp.Add("kharden-kind", string(s.Kind))
		if s.Owner != "" {
			sp.Add("owner", s.Owner)
		}
		if s.Expires != "" {
			sp.Add("expires", s.Expires)
		}
		sup.WithProperties(sp)
		res.AddSuppression(sup)
	}
	return res
}

// resultMessage is the finding's message, with the object named when the
// result has no file to point at.
func resultMessage(f *finding.Finding) string {
	msg := f.Message
	if f.Container != "" && !strings.Contains(msg, f.Container) {
		msg += " (container " + f.Container + ")"
	}
	if file, _, _ := sourceOf(f); file == "" {
		msg = f.Object.String() + ": " + msg
	}
	return msg
}

// suppressionKind maps how kharden suppressed a finding to SARIF's two
// kinds: in the source (an annotation on the object) or outside it.
func suppressionKind(k finding.SuppressionKind) string {
	if k == finding.SuppressedByAnnotation {
		return "inSource"
	}
	return "external"
}

// artifactURI turns a source file name into a SARIF artifact URI: relative
// paths use forward slashes under %SRCROOT%; absolute paths become file
// URIs. Stdin and nameless sources have no artifact (ok false).
func artifactURI(file string) (uri, base string, ok bool) {
	if file == "" || file == "-" || file == "<stdin>" {
		return "", "", false
	}
	slashed := filepath.ToSlash(file)
	if filepath.IsAbs(file) || path.IsAbs(slashed) {
		if !strings.HasPrefix(slashed, "/") {
			slashed = "/" + slashed // Windows drive paths: file:///C:/...
		}
		u := url.URL{Scheme: "file", Path: slashed}
		return u.String(), "", true
	}
	slashed = path.Clean(slashed)
	u := url.URL{Path: slashed}
	return u.EscapedPath(), srcRoot, true
}

func artifactLocation(uri, base string) *sarif.ArtifactLocation {
	a := sarif.NewSimpleArtifactLocation(uri)
	if base != "" {
		a.WithURIBaseID(base)
	}
	return a
}

// pascalCase turns a kebab-case rule id into a SARIF rule name:
// "privileged-container" -> "PrivilegedContainer".
func pascalCase(id string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(id, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}
