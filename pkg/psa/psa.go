// Package psa plans and applies Pod Security Admission namespace labels. The
// plan finds, per namespace, the strictest Pod Security level every current
// workload passes, evaluated with k8s.io/pod-security-admission (through
// pkg/pss) as the API server evaluates pods; Apply writes the labels after a
// server-side dry-run of every change, so that the API server's own warnings
// are seen before anything is written.
package psa

import (
	"fmt"
	"strings"

	"k8s.io/pod-security-admission/api"
)

// Mode is a Pod Security Admission mode: the part of the namespace label key
// after pod-security.kubernetes.io/.
type Mode string

// The three PSA modes.
const (
	ModeEnforce Mode = "enforce"
	ModeAudit   Mode = "audit"
	ModeWarn    Mode = "warn"
)

// LabelPrefix starts every Pod Security Admission namespace label
// (api.AuditAnnotationPrefix is the same text; the library keeps the label
// prefix unexported).
const LabelPrefix = api.AuditAnnotationPrefix

// Modes lists the modes in the order labels are shown.
var Modes = []Mode{ModeEnforce, ModeAudit, ModeWarn}

// ParseMode reads a mode name (enforce, audit or warn).
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown Pod Security Admission mode %q (want audit, warn or enforce)", s)
}

// LevelLabel is the namespace label that sets the mode's level.
func (m Mode) LevelLabel() string { return LabelPrefix + string(m) }

// VersionLabel is the namespace label that pins the mode's policy version.
func (m Mode) VersionLabel() string { return LabelPrefix + string(m) + "-version" }

// Levels lists the Pod Security levels from the most permissive.
var Levels = []api.Level{api.LevelPrivileged, api.LevelBaseline, api.LevelRestricted}

// ParseLevel reads a level name (privileged, baseline or restricted); unlike
// api.ParseLevel it does not fall back to restricted on a typo.
func ParseLevel(s string) (api.Level, error) {
	for _, l := range Levels {
		if string(l) == s {
			return l, nil
		}
	}
	return "", fmt.Errorf("unknown Pod Security level %q (want privileged, baseline or restricted)", s)
}

// nextLevel is the next stricter level, ok false for restricted.
func nextLevel(l api.Level) (api.Level, bool) {
	switch l {
	case api.LevelPrivileged:
		return api.LevelBaseline, true
	case api.LevelBaseline:
		return api.LevelRestricted, true
	}
	return "", false
}

// Labels returns the namespace labels that put a mode at a level, with the
// version pinned.
func Labels(mode Mode, level api.Level, version string) map[string]string {
	return map[string]string{mode.LevelLabel(): string(level), mode.VersionLabel(): version}
}

// currentLabels keeps the pod-security.kubernetes.io/ labels of a namespace.
func currentLabels(labels map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range labels {
		if strings.HasPrefix(k, LabelPrefix) {
			out[k] = v
		}
	}
	return out
}
