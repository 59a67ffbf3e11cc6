package config

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
	_ "time/tzdata" // maintenance windows name IANA time zones; the binary must not depend on the host's copy

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Detect configures the audit-log and DNS detectors (`kharden audit
// analyze|serve`, `kharden dns analyze`). Every field is optional; Resolve
// fills the defaults.
type Detect struct {
	// Window is the length of the buckets rates are counted in (default 1m).
	Window *metav1.Duration `json:"window,omitempty"`
	// Warmup is how much log time baselines learn before rate and "never
	// before" detectors may alert (default 10m).
	Warmup *metav1.Duration `json:"warmup,omitempty"`
	// AllowedLateness is how far behind the newest event an event may be and
	// still count in its own window (default 2m); later ones count as late.
	AllowedLateness *metav1.Duration `json:"allowedLateness,omitempty"`
	// AuthFailures: 401/403 per source IP and per user in one window
	// (default min 30, factor 5).
	AuthFailures *RateThreshold `json:"authFailures,omitempty"`
	// RequestRate: requests per identity and per source IP in one window
	// (default min 300, factor 10).
	RequestRate *RateThreshold `json:"requestRate,omitempty"`
	// SecretBulk is the number of distinct Secrets one identity may read in
	// one window before it is a bulk read (default 20); a list of Secrets
	// across namespaces is always one.
	SecretBulk int `json:"secretBulk,omitempty"`
	// MaintenanceWindows are when RBAC changes are expected; none means
	// every change is reported.
	MaintenanceWindows []MaintenanceWindow `json:"maintenanceWindows,omitempty"`
	// TrustedIdentities (path.Match patterns of user names, e.g.
	// "system:serviceaccount:argocd:*") change RBAC, admission
	// configuration and read Secrets as part of their job.
	TrustedIdentities []string `json:"trustedIdentities,omitempty"`
	// BreakGlassUsers are emergency accounts; the groups are the
	// configuration's breakGlassGroups.
	BreakGlassUsers []string `json:"breakGlassUsers,omitempty"`
	// DNS configures the CoreDNS log detectors.
	DNS *DNSDetect `json:"dns,omitempty"`
}

// RateThreshold says when a count in one window is a spike: at least Min,
// and more than Factor times the key's own baseline.
type RateThreshold struct {
	Min    int     `json:"min,omitempty"`
	Factor float64 `json:"factor,omitempty"`
}

// MaintenanceWindow is a weekly time range, e.g. Saturdays 02:00-06:00 in
// Europe/Paris. End before Start spans midnight.
type MaintenanceWindow struct {
	Days     []string `json:"days,omitempty"` // Mon..Sun; empty = every day
	Start    string   `json:"start"`          // HH:MM
	End      string   `json:"end"`            // HH:MM
	Timezone string   `json:"timezone,omitempty"`
}

// DNSDetect configures `kharden dns analyze`.
type DNSDetect struct {
	// QueryRate: queries per client in one window (default min 300, factor 10).
	QueryRate *RateThreshold `json:"queryRate,omitempty"`
	// NXDomain: NXDOMAIN answers per client in one window (default min 30, factor 5).
	NXDomain *RateThreshold `json:"nxdomain,omitempty"`
	// UniqueSubdomains is how many distinct names under one domain one
	// client may ask for in one window (default 50).
	UniqueSubdomains int `json:"uniqueSubdomains,omitempty"`
	// IgnoreSuffixes are domains never judged (default cluster.local.,
	// in-addr.arpa., ip6.arpa.).
	IgnoreSuffixes []string `json:"ignoreSuffixes,omitempty"`
}

// DetectSettings is Detect with every default filled in.
type DetectSettings struct {
	Window, Warmup, AllowedLateness time.Duration
	AuthFailures, RequestRate       RateThreshold
	SecretBulk                      int
	Windows                         []maintenance
	TrustedIdentities               []string
	BreakGlassUsers                 []string
	BreakGlassGroups                []string
	DNSQueryRate, DNSNXDomain       RateThreshold
	DNSUniqueSubdomains             int
	DNSIgnoreSuffixes               []string
}

type maintenance struct {
	days       [7]bool
	start, end int // minutes after midnight
	loc        *time.Location
}

// Detection returns the detectors' settings; errors name the field.
func (c *Config) Detection() (*DetectSettings, error) {
	d := Detect{}
	if c != nil {
		d = c.Detect
	}
	s := &DetectSettings{
		Window: dur(d.Window, time.Minute), Warmup: dur(d.Warmup, 10*time.Minute),
		AllowedLateness:   dur(d.AllowedLateness, 2*time.Minute),
		AuthFailures:      rate(d.AuthFailures, 30, 5),
		RequestRate:       rate(d.RequestRate, 300, 10),
		SecretBulk:        d.SecretBulk,
		TrustedIdentities: d.TrustedIdentities,
		BreakGlassUsers:   d.BreakGlassUsers,
	}
	if c != nil {
		s.BreakGlassGroups = c.BreakGlassGroups
	}
	if s.SecretBulk <= 0 {
		s.SecretBulk = 20
	}
	dns := DNSDetect{}
	if d.DNS != nil {
		dns = *d.DNS
	}
	s.DNSQueryRate = rate(dns.QueryRate, 300, 10)
	s.DNSNXDomain = rate(dns.NXDomain, 30, 5)
	s.DNSUniqueSubdomains = dns.UniqueSubdomains
	if s.DNSUniqueSubdomains <= 0 {
		s.DNSUniqueSubdomains = 50
	}
	s.DNSIgnoreSuffixes = dns.IgnoreSuffixes
	if len(s.DNSIgnoreSuffixes) == 0 {
		s.DNSIgnoreSuffixes = []string{"cluster.local.", "in-addr.arpa.", "ip6.arpa."}
	}
	var errs []error
	if s.Window <= 0 || s.Warmup < 0 || s.AllowedLateness < 0 {
		errs = append(errs, errors.New("detect: window must be positive, warmup and allowedLateness not negative"))
	}
	for i, w := range d.MaintenanceWindows {
		m, err := w.parse()
		if err != nil {
			errs = append(errs, fmt.Errorf("detect.maintenanceWindows[%d]: %w", i, err))
			continue
		}
		s.Windows = append(s.Windows, m)
	}
	for i, p := range s.TrustedIdentities {
		if _, err := path.Match(p, ""); err != nil {
			errs = append(errs, fmt.Errorf("detect.trustedIdentities[%d] %q: %w", i, p, err))
		}
	}
	return s, errors.Join(errs...)
}

func dur(d *metav1.Duration, def time.Duration) time.Duration {
	if d == nil {
		return def
	}
	return d.Duration
}

func rate(r *RateThreshold, min int, factor float64) RateThreshold {
	out := RateThreshold{Min: min, Factor: factor}
	if r != nil {
		if r.Min > 0 {
			out.Min = r.Min
		}
		if r.Factor > 0 {
			out.Factor = r.Factor
		}
	}
	return out
}

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

func (w MaintenanceWindow) parse() (maintenance, error) {
	var m maintenance
	var err error
	if m.start, err = clock(w.Start); err != nil {
		return m, fmt.Errorf("start: %w", err)
	}
	if m.end, err = clock(w.End); err != nil {
		return m, fmt.Errorf("end: %w", err)
	}
	if m.start == m.end {
		return m, errors.New("start and end are equal")
	}
	m.loc = time.UTC
	if w.Timezone != "" {
		if m.loc, err = time.LoadLocation(w.Timezone); err != nil {
			return m, fmt.Errorf("timezone %q: %w", w.Timezone, err)
		}
	}
	if len(w.Days) == 0 {
		m.days = [7]bool{true, true, true, true, true, true, true}
	}
	for _, d := range w.Days {
		wd, ok := weekdays[strings.ToLower(d)[:min(3, len(d))]]
		if !ok || len(d) < 3 {
			return m, fmt.Errorf("day %q: want Mon, Tue, Wed, Thu, Fri, Sat or Sun", d)
		}
		m.days[wd] = true
	}
	return m, nil
}

func clock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q: want HH:MM", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// InMaintenance reports whether t falls in a maintenance window. A window
// spanning midnight belongs to the day it starts.
func (s *DetectSettings) InMaintenance(t time.Time) bool {
	for _, m := range s.Windows {
		lt := t.In(m.loc)
		mins := lt.Hour()*60 + lt.Minute()
		if m.start < m.end {
			if m.days[lt.Weekday()] && mins >= m.start && mins < m.end {
				return true
			}
			continue
		}
		if (m.days[lt.Weekday()] && mins >= m.start) || (m.days[(lt.Weekday()+6)%7] && mins < m.end) {
			return true
		}
	}
	return false
}

// Trusted reports whether a user name matches detect.trustedIdentities.
func (s *DetectSettings) Trusted(user string) bool {
	for _, p := range s.TrustedIdentities {
		if ok, _ := path.Match(p, user); ok {
			return true
		}
	}
	return false
}
