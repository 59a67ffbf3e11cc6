package controlplane

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kharden/kharden/pkg/finding"
)

// MaxCloudBytes bounds a managed-cluster description; real ones are a few
// kilobytes (GKE's, with node pools, tens of kilobytes).
const MaxCloudBytes = 8 << 20

// The three kinds of managed-cluster descriptions CheckCloud reads; findings
// name the cluster with one of them (no API version: these are not
// Kubernetes objects).
const (
	KindEKSCluster = "EKSCluster"
	KindGKECluster = "GKECluster"
	KindAKSCluster = "AKSCluster"
)

// CloudError is a managed-cluster description CheckCloud cannot read. It names
// the file and, when known, the line; it never quotes values from the file.
type CloudError struct {
	File string
	Line int
	Msg  string
}

func (e *CloudError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// CheckCloud audits a managed-cluster description, as printed by
// `aws eks describe-cluster`, `gcloud container clusters describe
// --format=json` or `az aks show`, for the rules apiserver-public-endpoint,
// cloud-audit-logging-disabled and cloud-secrets-encryption-disabled. The
// provider is recognised from the document's shape; a document of any other
// shape is a *CloudError naming file. What each rule inspects per provider is
// documented on checkEKS, checkGKE and checkAKS.
func CheckCloud(file string, data []byte) ([]finding.Finding, error) {
	if len(data) > MaxCloudBytes {
		return nil, &CloudError{File: file, Msg: fmt.Sprintf("file is %d bytes, over the limit of %d bytes", len(data), MaxCloudBytes)}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // PowerShell writes a BOM
	if bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data) {
		return nil, &CloudError{File: file, Msg: "binary file (NUL bytes or invalid UTF-8), not a cluster description"}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &CloudError{File: file, Msg: "empty file: " + cloudShapeHint}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, cloudDecodeError(file, data, err)
	}
	if top == nil {
		return nil, &CloudError{File: file, Msg: "not a cluster description: " + cloudShapeHint}
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	a := &cloudAudit{file: file, lines: cloudFieldLines(data), startLine: cloudLineAt(data, int64(len(data)-len(trimmed)))}
	var err error
	switch cloudDetect(top) {
	case KindEKSCluster:
		err = a.checkEKS(data)
	case KindGKECluster:
		err = a.checkGKE(data)
	case KindAKSCluster:
		err = a.checkAKS(data)
	default:
		return nil, &CloudError{File: file, Line: 1, Msg: "not a cluster description of a known shape: " + cloudShapeHint}
	}
	if err != nil {
		return nil, err
	}
	return a.findings, nil
}

// cloudShapeHint tells the user which documents CheckCloud accepts.
const cloudShapeHint = "expected the JSON output of `aws eks describe-cluster`, " +
	"`gcloud container clusters describe --format=json` or `az aks show`"

// cloudDetect recognises the provider of a cluster description from its
// top-level keys, or returns "".
func cloudDetect(top map[string]json.RawMessage) string {
	if raw, ok := top["cluster"]; ok && len(top) == 1 {
		var inner map[string]json.RawMessage
		if json.Unmarshal(raw, &inner) == nil {
			if _, ok := inner["resourcesVpcConfig"]; ok {
				return KindEKSCluster
			}
			var arn string
			if json.Unmarshal(inner["arn"], &arn) == nil && strings.HasPrefix(arn, "arn:aws") {
				return KindEKSCluster
			}
		}
	}
	var s string
	if json.Unmarshal(top["type"], &s) == nil && strings.EqualFold(s, "Microsoft.ContainerService/ManagedClusters") {
		return KindAKSCluster
	}
	if json.Unmarshal(top["id"], &s) == nil && strings.Contains(strings.ToLower(s), "/providers/microsoft.containerservice/managedclusters/") {
		return KindAKSCluster
	}
	for _, k := range []string{"apiServerAccessProfile", "agentPoolProfiles"} {
		if _, ok := top[k]; ok {
			return KindAKSCluster
		}
	}
	if json.Unmarshal(top["selfLink"], &s) == nil && strings.Contains(s, "container.googleapis.com/") {
		return KindGKECluster
	}
	for _, k := range []string{"masterAuthorizedNetworksConfig", "privateClusterConfig", "databaseEncryption", "loggingService", "nodePools"} {
		if _, ok := top[k]; ok {
			return KindGKECluster
		}
	}
	return ""
}

// cloudAudit collects the findings on one cluster description.
type cloudAudit struct {
	file      string
	lines     map[string]int // JSON field path -> line of its key
	startLine int            // line of the document's opening brace
	kind      string
	name      string
	findings  []finding.Finding
}

// decode unmarshals data into v, turning a type mismatch into a CloudError
// naming the file, line and field.
func (a *cloudAudit) decode(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return cloudDecodeError(a.file, data, err)
	}
	return nil
}

// start records the cluster the findings are about; a description without
// a name is an error, since nothing could be reported on it.
func (a *cloudAudit) start(kind, name, namePath string) error {
	if strings.TrimSpace(name) == "" {
		return &CloudError{File: a.file, Line: 1, Msg: fmt.Sprintf("%s description without a cluster name (%s)", kind, namePath)}
	}
	a.kind, a.name = kind, name
	return nil
}

// report records a finding of rule id on field path of the cluster. A
// non-nil severity replaces the rule's default.
func (a *cloudAudit) report(id finding.RuleID, path string, severity *finding.Severity, format string, args ...any) {
	c := cloudRule(id)
	f := finding.Finding{
		Rule:        c.ID,
		Category:    c.Category,
		Severity:    c.Severity,
		Object:      finding.ObjectRef{Kind: a.kind, Name: a.name},
		Source:      &finding.Source{File: a.file, Line: a.line(path)},
		Path:        path,
		Message:     fmt.Sprintf(format, args...),
		Remediation: c.Remediation,
		References:  c.References,
	}
	if severity != nil {
		f.Severity = *severity
	}
	f.Fingerprint = f.ComputeFingerprint()
	a.findings = append(a.findings, f)
}

// line is the line of path's key, or of its nearest present parent (a
// missing field is reported where its parent is, a missing top-level field
// where the document starts).
func (a *cloudAudit) line(path string) int {
	for p := path; p != ""; {
		if l, ok := a.lines[p]; ok {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return a.startLine
}

// cloudDecodeError turns a JSON error into a CloudError with the line it
// happened on. The json package's messages name types and fields, never
// values, so they are safe to show.
func cloudDecodeError(file string, data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		// Offset is just past the offending byte, which may be a newline.
		return &CloudError{File: file, Line: cloudLineAt(data, max(syn.Offset-1, 0)), Msg: "malformed JSON: " + syn.Error()}
	case errors.As(err, &typ):
		field := typ.Field
		// Value is the JSON kind, except for numbers that do not fit, where
		// the number follows: keep the kind only.
		kind, _, _ := strings.Cut(typ.Value, " ")
		if field == "" {
			return &CloudError{File: file, Line: cloudLineAt(data, typ.Offset),
				Msg: fmt.Sprintf("not a cluster description: the document is a JSON %s, not an object (%s)", kind, cloudShapeHint)}
		}
		return &CloudError{File: file, Line: cloudLineAt(data, typ.Offset),
			Msg: fmt.Sprintf("field %s: expected %s, found a JSON %s", field, cloudJSONType(typ.Type.Kind().String()), kind)}
	}
	return &CloudError{File: file, Msg: "malformed JSON: " + err.Error()}
}

// cloudJSONType names a Go kind the way a JSON document's author thinks of it.
func cloudJSONType(kind string) string {
	switch kind {
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	case "slice", "array":
		return "a list"
	case "struct", "map", "ptr":
		return "an object"
	}
	return "a number"
}
