package report

import (
	"github.com/kharden/kharden/pkg/finding"
)

// Summary counts a report's results. Finding counts exclude suppressed
// findings; those are counted apart, by what suppressed them.
type Summary struct {
	Objects  int `json:"objects"`
	Rules    int `json:"rules"`
	Findings int `json:"findings"`
	// BySeverity and ByCategory count unsuppressed findings.
	BySeverity       SeverityCounts                  `json:"bySeverity"`
	ByCategory       map[finding.Category]int        `json:"byCategory"`
	Suppressed       int                             `json:"suppressed"`
	SuppressedByKind map[finding.SuppressionKind]int `json:"suppressedByKind"`
	// Errors and Warnings count input diagnostics.
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
}

// SeverityCounts has one counter per severity, worst first, so that JSON
// keeps a readable fixed order.
type SeverityCounts struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Info     int `json:"info"`
}

// Of returns the count for one severity.
func (c SeverityCounts) Of(s finding.Severity) int {
	if p := c.counter(s); p != nil {
		return *p
	}
	return 0
}

func (c *SeverityCounts) counter(s finding.Severity) *int {
	switch s {
	case finding.SeverityCritical:
		return &c.Critical
	case finding.SeverityHigh:
		return &c.High
	case finding.SeverityMedium:
		return &c.Medium
	case finding.SeverityLow:
		return &c.Low
	case finding.SeverityInfo:
		return &c.Info
	}
	return nil
}

// Summary counts the report's findings and diagnostics.
func (r *Report) Summary() Summary {
	s := Summary{
		Objects:          r.Objects,
		ByCategory:       map[finding.Category]int{},
		SuppressedByKind: map[finding.SuppressionKind]int{},
	}
	ids := make(map[finding.RuleID]bool, len(r.Rules))
	for _, rule := range r.Rules {
		ids[rule.ID] = true
	}
	s.Rules = len(ids)
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Suppressed != nil {
			s.Suppressed++
			s.SuppressedByKind[f.Suppressed.Kind]++
			continue
		}
		s.Findings++
		if p := s.BySeverity.counter(f.Severity); p != nil {
			*p++
		}
		s.ByCategory[f.Category]++
	}
	for _, d := range r.Diagnostics {
		if d.Warning {
			s.Warnings++
		} else {
			s.Errors++
		}
	}
	return s
}

// AtOrAbove counts unsuppressed findings of severity min or worse: the
// number `--fail-on min` gates on.
func (s Summary) AtOrAbove(min finding.Severity) int {
	n := 0
	for _, sev := range finding.Severities() {
		if sev >= min {
			n += s.BySeverity.Of(sev)
		}
	}
	return n
}

// Worst returns the highest severity among unsuppressed findings; ok is
// false when there are none.
func (s Summary) Worst() (sev finding.Severity, ok bool) {
	sevs := finding.Severities()
	for i := len(sevs) - 1; i >= 0; i-- {
		if s.BySeverity.Of(sevs[i]) > 0 {
			return sevs[i], true
		}
	}
	return 0, false
}
