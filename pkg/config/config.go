// Package config reads .kharden.yaml: which rules run and at what severity,
// the registry allowlist, the label keys that carry ownership and data
// classification, the production namespaces, and exceptions with an owner, a
// reason and an expiry.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	yaml3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"

	"github.com/kharden/kharden/pkg/finding"
)

// FileName is the name looked up upward from the scanned path.
const FileName = ".kharden.yaml"

// Config is the parsed .kharden.yaml. The zero value is not valid; use
// Default or Load.
type Config struct {
	// Rules turns rules on or off and overrides their severity.
	Rules map[finding.RuleID]RuleConfig `json:"rules,omitempty"`
	// Registries allowed for images; empty disables image-registry-not-allowed.
	// Entries are registry hosts ("ghcr.io") or repository prefixes
	// ("ghcr.io/acme"); images without a registry are on docker.io.
	AllowedRegistries []string `json:"allowedRegistries,omitempty"`
	// OwnerKeys are the label or annotation keys that name an owning team.
	OwnerKeys []string `json:"ownerKeys,omitempty"`
	// DataClassificationKey is the namespace label holding data sensitivity.
	DataClassificationKey string `json:"dataClassificationKey,omitempty"`
	// ProductionNamespaces are held to the strictest controls.
	ProductionNamespaces []string `json:"productionNamespaces,omitempty"`
	// PSSVersion is the Pod Security Standards version ("latest" or "v1.NN").
	PSSVersion string `json:"pssVersion,omitempty"`
	// Exceptions suppress findings, each with owner, reason and expiry.
	Exceptions []Exception `json:"exceptions,omitempty"`
	// BreakGlassGroups are the only groups through which people may hold
	// cluster-admin rights (kharden access review).
	BreakGlassGroups []string `json:"breakGlassGroups,omitempty"`
	// MaxTokenExpirationSeconds bounds the expirationSeconds of projected
	// ServiceAccount token volumes (default DefaultMaxTokenExpirationSeconds).
	MaxTokenExpirationSeconds int64 `json:"maxTokenExpirationSeconds,omitempty"`
	// Rollout configures `kharden rollout`: canary and production
	// namespaces, the Pod Security level aimed at, promotion criteria.
	Rollout Rollout `json:"rollout,omitempty"`
	// Detect configures the audit-log and DNS detectors.
	Detect Detect `json:"detect,omitempty"`

	// Path is the file the configuration came from ("" for defaults).
	Path string `json:"-"`
}

// RuleConfig adjusts one rule.
type RuleConfig struct {
	Enabled  *bool             `json:"enabled,omitempty"`
	Severity *finding.Severity `json:"severity,omitempty"`
}

// Exception suppresses the named rules on the objects its scope selects.
type Exception struct {
	Rules   []finding.RuleID `json:"rules"`
	Owner   string           `json:"owner"`
	Reason  string           `json:"reason"`
	Expires string           `json:"expires"` // YYYY-MM-DD, inclusive
	// Permanent exceptions have no expiry; they are refused unless marked
	// so, with a reason.
	Permanent bool  `json:"permanent,omitempty"`
	Scope     Scope `json:"scope,omitempty"`
}

// Scope selects objects. Empty fields match everything; entries may use
// path.Match patterns ("team-*").
type Scope struct {
	Namespaces []string `json:"namespaces,omitempty"`
	Kinds      []string `json:"kinds,omitempty"`
	Names      []string `json:"names,omitempty"`
	Files      []string `json:"files,omitempty"`
}

// Default returns the configuration used when no file is found.
func Default() *Config {
	return &Config{
		OwnerKeys:             []string{"team", "owner", "app.kubernetes.io/part-of-team"},
		DataClassificationKey: "data-classification",
		PSSVersion:            "latest",
	}
}

// Find looks for .kharden.yaml in dir and its parents; "" when there is none.
func Find(start string) string {
	dir, err := filepath.Abs(start)
	if err != nil {
		return ""
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		dir = filepath.Dir(dir)
	}
	for {
		p := filepath.Join(dir, FileName)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Load reads a configuration file and fills unset fields with defaults.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := Parse(data)
	if err != nil {
		return nil, inFile(path, err)
	}
	c.Path = path
	return c, nil
}

// Parse reads a configuration document. Unknown keys are errors: a typo in a
// security configuration must not pass silently.
func Parse(data []byte) (*Config, error) {
	c, err := parse(data)
	if err != nil {
		return nil, withLines(nodes(data), err)
	}
	return c, nil
}

func parse(data []byte) (*Config, error) {
	c := Default()
	if len(bytes.TrimSpace(data)) > 0 {
		if err := yaml.UnmarshalStrict(data, c); err != nil {
			if strings.Contains(err.Error(), "unknown field") {
				if errs := unknownFields(nodes(data)); len(errs) > 0 {
					return nil, errors.Join(errs...)
				}
			}
			return nil, errors.New(jsonPrefixes.Replace(err.Error()))
		}
	}
	if c.PSSVersion == "" {
		c.PSSVersion = "latest"
	}
	if len(c.OwnerKeys) == 0 {
		c.OwnerKeys = Default().OwnerKeys
	}
	if c.DataClassificationKey == "" {
		c.DataClassificationKey = Default().DataClassificationKey
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if _, err := c.Detection(); err != nil {
		return nil, err
	}
	if err := c.Rollout.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// inFile names the file in each error, as FILE:LINE: when the line is known.
func inFile(path string, err error) error {
	list := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	}
	out := make([]error, 0, len(list))
	for _, e := range list {
		if le, ok := e.(*LineError); ok {
			out = append(out, fmt.Errorf("%s:%d: %w", path, le.Line, le.Err))
			continue
		}
		out = append(out, fmt.Errorf("%s: %w", path, e))
	}
	if len(out) == 1 {
		return out[0]
	}
	return errors.Join(out...)
}

// jsonPrefixes drops the wording of the YAML-to-JSON route from decode
// errors: the user wrote YAML.
var jsonPrefixes = strings.NewReplacer("error unmarshaling JSON: ", "", "while decoding JSON: ", "", "json: ", "")

// nodes reads the document as YAML nodes, for the lines of errors; nil when
// it does not parse (the decode error then has its own line).
func nodes(data []byte) *yaml3.Node {
	var root yaml3.Node
	if yaml3.Unmarshal(data, &root) != nil {
		return nil
	}
	return &root
}

// Validate checks exceptions are complete: nothing silently permanent.
func (c *Config) Validate() error {
	var errs []error
	for i, e := range c.Exceptions {
		var missing []string
		if len(e.Rules) == 0 {
			missing = append(missing, "rules")
		}
		if e.Owner == "" {
			missing = append(missing, "owner")
		}
		if e.Reason == "" {
			missing = append(missing, "reason")
		}
		if e.Expires == "" && !e.Permanent {
			missing = append(missing, "expires (or permanent: true with a reason)")
		} else if e.Expires != "" && e.Permanent {
			errs = append(errs, fmt.Errorf("exceptions[%d]: both expires and permanent", i))
		} else if e.Expires != "" {
			if _, err := ParseDate(e.Expires); err != nil {
				errs = append(errs, fmt.Errorf("exceptions[%d].expires: %w", i, err))
			}
		}
		if len(missing) > 0 {
			errs = append(errs, fmt.Errorf("exceptions[%d]: missing %s", i, strings.Join(missing, ", ")))
		}
	}
	return errors.Join(errs...)
}

// RuleEnabled reports whether a rule runs, given its default.
func (c *Config) RuleEnabled(id finding.RuleID, byDefault bool) bool {
	if rc, ok := c.Rules[id]; ok && rc.Enabled != nil {
		return *rc.Enabled
	}
	return byDefault
}

// SeverityFor returns the configured severity of a rule, or def.
func (c *Config) SeverityFor(id finding.RuleID, def finding.Severity) finding.Severity {
	if rc, ok := c.Rules[id]; ok && rc.Severity != nil {
		return *rc.Severity
	}
	return def
}

// Owner is the team named on an object: the value of the first owner key
// set as a label, else as an annotation; "" when none is.
func (c *Config) Owner(labels, annotations map[string]string) string {
	return Owner(labels, annotations, c.OwnerKeys)
}

// Owner is Config.Owner for a given list of keys.
func Owner(labels, annotations map[string]string, keys []string) string {
	for _, k := range keys {
		if v := labels[k]; v != "" {
			return v
		}
		if v := annotations[k]; v != "" {
			return v
		}
	}
	return ""
}

// IsProduction reports whether a namespace is listed as production.
func (c *Config) IsProduction(ns string) bool {
	for _, p := range c.ProductionNamespaces {
		if ok, _ := filepath.Match(p, ns); ok {
			return true
		}
	}
	return false
}

// ParseDate reads an expiry date (YYYY-MM-DD or RFC 3339).
func ParseDate(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return t, nil
}

// Expired reports whether an expiry date has passed at now. A date-only
// expiry lasts through the whole of that day (UTC).
func Expired(expires string, now time.Time) (bool, error) {
	t, err := ParseDate(expires)
	if err != nil {
		return false, err
	}
	if len(expires) == len("2006-01-02") {
		t = t.Add(24 * time.Hour)
	}
	return !now.Before(t), nil
}

// DefaultMaxTokenExpirationSeconds is the bound on projected token lifetimes
// when the configuration sets none: one day.
const DefaultMaxTokenExpirationSeconds = 86400

// MaxTokenExpiration is the configured bound, or the default.
func (c *Config) MaxTokenExpiration() int64 {
	if c == nil || c.MaxTokenExpirationSeconds <= 0 {
		return DefaultMaxTokenExpirationSeconds
	}
	return c.MaxTokenExpirationSeconds
}

// RuleEnabledAny reports whether any of the rules runs (each on by default).
func (c *Config) RuleEnabledAny(ids []finding.RuleID) bool {
	for _, id := range ids {
		if c.RuleEnabled(id, true) {
			return true
		}
	}
	return len(ids) == 0
}

// ExpiredAt reports whether the exception no longer applies at now: its
// expiry date has passed (or cannot be read). Permanent exceptions never
// expire.
func (e Exception) ExpiredAt(now time.Time) bool {
	if e.Permanent && e.Expires == "" {
		return false
	}
	expired, err := Expired(e.Expires, now)
	return err != nil || expired
}
