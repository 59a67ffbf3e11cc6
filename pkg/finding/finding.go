// Package finding defines the one result type every kharden check, analyser
// and detector produces. It imports nothing else of kharden's, so every other
// package can depend on it.
package finding

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"strings"
)

// RuleID is the stable kebab-case identifier of a rule, e.g. "host-path-volume".
type RuleID string

// Category groups rules for reports and filtering.
type Category string

// Categories used by the catalogue.
const (
	CategoryWorkload   Category = "workload"
	CategoryImage      Category = "image"
	CategoryIdentity   Category = "identity"
	CategorySecrets    Category = "secrets"
	CategoryGovernance Category = "governance"
	CategoryNetwork    Category = "network"
)

// Level is a Pod Security Standards level a rule belongs to, when it has one.
type Level string

// Pod Security Standards levels.
const (
	LevelNone       Level = ""
	LevelBaseline   Level = "baseline"
	LevelRestricted Level = "restricted"
)

// ObjectRef names the Kubernetes object a finding is about.
type ObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// String renders the reference the way kubectl names objects: kind/ns/name.
func (o ObjectRef) String() string {
	if o.Namespace == "" {
		return o.Kind + "/" + o.Name
	}
	return o.Kind + "/" + o.Namespace + "/" + o.Name
}

// Group returns the API group of the reference ("" for the core group).
func (o ObjectRef) Group() string {
	if i := strings.LastIndexByte(o.APIVersion, '/'); i >= 0 {
		return o.APIVersion[:i]
	}
	return ""
}

// Source locates a finding or object in an input file. Line and Column are
// 1-based; zero means unknown.
type Source struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// SuppressionKind tells what silenced a finding.
type SuppressionKind string

// Ways a finding can be suppressed.
const (
	SuppressedByAnnotation SuppressionKind = "annotation"
	SuppressedByConfig     SuppressionKind = "config"
	SuppressedByBaseline   SuppressionKind = "baseline"
)

// Suppression records why a finding does not count.
type Suppression struct {
	Kind    SuppressionKind `json:"kind"`
	Reason  string          `json:"reason,omitempty"`
	Owner   string          `json:"owner,omitempty"`
	Expires string          `json:"expires,omitempty"`
}

// Finding is one rule violation on one object (or one field of it).
type Finding struct {
	Rule        RuleID       `json:"rule"`
	Category    Category     `json:"category"`
	Severity    Severity     `json:"severity"`
	Level       Level        `json:"pssLevel,omitempty"`
	Object      ObjectRef    `json:"object"`
	Source      *Source      `json:"source,omitempty"`
	Path        string       `json:"path,omitempty"`
	Container   string       `json:"container,omitempty"`
	Message     string       `json:"message"`
	Remediation string       `json:"remediation"`
	References  []string     `json:"references"`
	Owner       string       `json:"owner,omitempty"`
	Fingerprint string       `json:"fingerprint"`
	Suppressed  *Suppression `json:"suppressed,omitempty"`
	// Related are other objects the finding involves, in order (for a risky
	// permission: the binding, the role and the rule that grant it).
	Related []Related `json:"related,omitempty"`
	// Detection is set on findings of the audit and DNS detectors.
	Detection *Detection `json:"detection,omitempty"`
}

// Related is an object a finding involves besides its subject.
type Related struct {
	Role   string    `json:"role"` // what it is to the finding: binding, role, rule, subject, workload
	Object ObjectRef `json:"object"`
	// Detail narrows it down: the rule text of a role, a field path.
	Detail string `json:"detail,omitempty"`
}

// ComputeFingerprint derives the stable identity of a finding used by
// baselines and history. It deliberately leaves out line numbers and list
// indexes (containers are named instead), so that editing unrelated lines of a
// file or reordering containers does not turn an old finding into a new one.
func (f *Finding) ComputeFingerprint() string {
	file := ""
	if f.Source != nil {
		// "./deploy/app.yaml" and "deploy/app.yaml" are the same file.
		file = path.Clean(strings.ReplaceAll(f.Source.File, `\`, "/"))
	}
	// The fields joined by NUL bytes, hashed; the first 16 bytes of the
	// hash in hex. Built in a stack buffer: a cluster scan fingerprints
	// hundreds of thousands of findings.
	var buf [512]byte
	b := buf[:0]
	for i, s := range [...]string{string(f.Rule), f.Object.Group(), f.Object.Kind, f.Object.Namespace, f.Object.Name,
		f.Container, f.Path, file} {
		if i > 0 {
			b = append(b, 0)
		}
		if i == 6 {
			b = appendStripped(b, s)
			continue
		}
		b = append(b, s...)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// appendStripped appends a field path without its "[n]" list indexes.
func appendStripped(b []byte, path string) []byte {
	depth := 0
	for i := 0; i < len(path); i++ {
		switch c := path[i]; {
		case c == '[':
			depth++
		case c == ']' && depth > 0:
			depth--
		case depth == 0:
			b = append(b, c)
		}
	}
	return b
}

// Exceeds reports whether an unsuppressed finding is at or above sev (what
// --fail-on asks).
func Exceeds(fs []Finding, sev Severity) bool {
	for i := range fs {
		if fs[i].Suppressed == nil && fs[i].Severity >= sev {
			return true
		}
	}
	return false
}
