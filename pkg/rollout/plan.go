package rollout

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/detect/auditlog"
	"github.com/kharden/kharden/pkg/detect/logfiles"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/scan"
)

// Plan is, per rule, where the rollout stands and what the next stage
// would break.
type Plan struct {
	Rules []RulePlan `json:"rules"`
	// Held namespaces stay at warn for Pod Security, with the reason.
	Held map[string]string `json:"held,omitempty"`
	// Notes are exceptions that CI honours and the cluster cannot.
	Notes []string `json:"notes,omitempty"`
}

// RulePlan is one rule (or pod-security) in the plan.
type RulePlan struct {
	Rule  finding.RuleID `json:"rule"`
	Stage Stage          `json:"stage"`
	// StageName and NextName spell the stages out in JSON.
	StageName string    `json:"stageName"`
	Next      Stage     `json:"next"`
	NextName  string    `json:"nextName"`
	Since     time.Time `json:"since,omitempty"`
	// Violations are the objects violating the rule now, per namespace
	// ("" for cluster-scoped objects), exceptions honoured.
	Violations map[string]int `json:"violations"`
	// Audited are the violations the API server recorded in the audit log
	// (Audit and Warn bindings, PSA audit), per namespace.
	Audited map[string]int `json:"audited,omitempty"`
	// Denied are requests the API server refused for the rule.
	Denied map[string]int `json:"denied,omitempty"`
	// Breaks are the namespaces the next stage denies in that have
	// violations now: what would break.
	Breaks []Break `json:"breaks,omitempty"`
}

// Total is the number of violations in every namespace.
func (r *RulePlan) Total() int { return sum(r.Violations) }

// Break is a namespace where the next stage would deny current objects.
type Break struct {
	Namespace string   `json:"namespace"`
	Objects   []string `json:"objects"`
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// PlanOptions say what to plan for.
type PlanOptions struct {
	Config *config.Config
	State  *State
	Rules  []finding.RuleID // empty: every unit
	// Namespaces are the cluster's (with labels); when nil, those of the
	// inventory's Namespace objects and of its namespaced objects.
	Namespaces []Namespace
	// Audit summarises an audit log (ReadAudit); nil when none was given.
	Audit *AuditSummary
	Now   time.Time
}

// MakePlan judges the inventory (the live cluster's objects, or files) with
// the rollout's rules, exceptions honoured as in CI.
func MakePlan(inv *inventory.Inventory, opts PlanOptions) (*Plan, error) {
	cfg := opts.Config
	if cfg == nil {
		cfg = config.Default()
	}
	st := opts.State
	if st == nil {
		st = &State{Rules: map[finding.RuleID]*RuleState{}}
	}
	rules := opts.Rules
	if len(rules) == 0 {
		rules = Units()
	}
	nss := opts.Namespaces
	if nss == nil {
		nss = inventoryNamespaces(inv)
	}
	place := Place(cfg, nss)
	want := map[finding.RuleID]bool{}
	for _, r := range rules {
		want[r] = true
	}
	// The rules to run: the CEL guardrails asked for, and every PSS rule
	// of the aimed-at level when pod-security is asked for.
	var cat []*checks.Check
	pssLevel := map[finding.RuleID]bool{}
	for _, c := range checks.Catalogue() {
		switch {
		case c.Engine == checks.EngineCEL && want[c.ID]:
			cat = append(cat, c)
		case c.Engine == checks.EnginePSS && want[PodSecurity] && levelWithin(c.Level, cfg.Rollout.Level()):
			cat = append(cat, c)
			pssLevel[c.ID] = true
		}
	}
	res, err := scan.Inventory(inv, scan.Options{Config: cfg, Catalogue: cat, Now: func() time.Time { return opts.Now }, AllowEmpty: true})
	if err != nil {
		return nil, err
	}
	type key struct {
		rule finding.RuleID
		ns   string
	}
	type object struct{ kind, name string }
	objects := map[key]map[object]bool{}
	for i := range res.Findings {
		f := &res.Findings[i]
		if f.Suppressed != nil {
			continue
		}
		unit := f.Rule
		if pssLevel[f.Rule] {
			unit = PodSecurity
		}
		k := key{unit, f.Object.Namespace}
		if objects[k] == nil {
			objects[k] = map[object]bool{}
		}
		objects[k][object{f.Object.Kind, f.Object.Name}] = true
	}
	p := &Plan{}
	for _, r := range rules {
		stage := st.StageOf(r)
		next := min(stage+1, StageEverywhere)
		rp := RulePlan{Rule: r, Stage: stage, StageName: stage.String(), Next: next, NextName: next.String(),
			Violations: map[string]int{}}
		if rs := st.Rules[r]; rs != nil {
			rp.Since = rs.Since()
		}
		for k, objs := range objects {
			if k.rule != r {
				continue
			}
			rp.Violations[k.ns] = len(objs)
			if next > stage && place.Denied(next, k.ns) && !place.Denied(stage, k.ns) && (k.ns != "" || next == StageEverywhere) {
				b := Break{Namespace: k.ns}
				for o := range objs {
					b.Objects = append(b.Objects, o.kind+"/"+o.name)
				}
				sort.Strings(b.Objects)
				rp.Breaks = append(rp.Breaks, b)
			}
		}
		sort.Slice(rp.Breaks, func(i, j int) bool { return rp.Breaks[i].Namespace < rp.Breaks[j].Namespace })
		if opts.Audit != nil {
			rp.Audited = opts.Audit.Audited[r]
			rp.Denied = opts.Audit.Denied[r]
		}
		p.Rules = append(p.Rules, rp)
	}
	if want[PodSecurity] {
		p.Held = HeldNamespaces(cfg, inv, opts.Now)
	}
	// Exceptions CI honours and the cluster cannot (the notes export
	// gives), without compiling the policies.
	for _, r := range rules {
		if r == PodSecurity {
			continue
		}
		if _, notes, err := exceptionConditions(r, cfg, opts.Now); err == nil {
			p.Notes = append(p.Notes, notes...)
		}
	}
	p.Notes = dedupe(p.Notes)
	return p, nil
}

// levelWithin reports whether a PSS rule of level l is enforced at target.
func levelWithin(l finding.Level, target string) bool {
	switch target {
	case "privileged":
		return false
	case "baseline":
		return l == finding.LevelBaseline
	}
	return l == finding.LevelBaseline || l == finding.LevelRestricted
}

// inventoryNamespaces are the namespaces an inventory names.
func inventoryNamespaces(inv *inventory.Inventory) []Namespace {
	seen := map[string]map[string]string{}
	for _, o := range inv.Objects {
		if o.GK.Kind == "Namespace" && o.GK.Group == "" {
			seen[o.Ref.Name] = o.Labels()
		} else if o.Ref.Namespace != "" {
			if _, ok := seen[o.Ref.Namespace]; !ok {
				seen[o.Ref.Namespace] = nil
			}
		}
	}
	out := make([]Namespace, 0, len(seen))
	for n, l := range seen {
		out = append(out, Namespace{Name: n, Labels: l})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// AuditSummary counts, per rule and namespace, the violations the API
// server audited and the requests it denied.
type AuditSummary struct {
	Audited map[finding.RuleID]map[string]int
	Denied  map[finding.RuleID]map[string]int
	// Last is the time of the newest audited violation per rule.
	Last   map[finding.RuleID]time.Time
	Events int64
	Stats  auditlog.Stats
}

// ReadAudit reads audit logs (files, directories of them, or "-") for
// what the rollout's policies recorded: validation_failure annotations of
// kharden-<rule> policies, PSA audit-violations, and requests refused by
// either.
func ReadAudit(inputs []string, stdin io.Reader, since time.Time) (*AuditSummary, error) {
	paths, errs := logfiles.Expand(inputs)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	s := &AuditSummary{Audited: map[finding.RuleID]map[string]int{}, Denied: map[finding.RuleID]map[string]int{},
		Last: map[finding.RuleID]time.Time{}}
	add := func(m map[finding.RuleID]map[string]int, r finding.RuleID, ns string) {
		if m[r] == nil {
			m[r] = map[string]int{}
		}
		m[r][ns]++
	}
	for _, path := range paths {
		var r io.Reader = stdin
		if path != "-" {
			f, err := os.Open(path)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			r = f
		}
		d := auditlog.NewDecoder(r, path)
		var ev auditlog.Event
		for {
			err := d.Next(&ev)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			if !ev.Final() || (!since.IsZero() && ev.Time.Before(since)) {
				continue
			}
			s.Events++
			ns := ev.Object.Namespace
			for _, pol := range policyFailures(ev.PolicyFailures) {
				add(s.Audited, pol, ns)
				if ev.Time.After(s.Last[pol]) {
					s.Last[pol] = ev.Time
				}
			}
			if ev.PSAViolations != "" {
				add(s.Audited, PodSecurity, ns)
				if ev.Time.After(s.Last[PodSecurity]) {
					s.Last[PodSecurity] = ev.Time
				}
			}
			if ev.Code >= 400 {
				if pol, ok := deniedBy(ev.StatusMessage); ok {
					add(s.Denied, pol, ns)
				}
			}
		}
		s.Stats.Add(d.Stats())
	}
	return s, nil
}

// policyFailures reads the rules of kharden policies in a
// validation_failure annotation.
func policyFailures(annotation string) []finding.RuleID {
	if annotation == "" {
		return nil
	}
	var fails []struct {
		Policy string `json:"policy"`
	}
	if json.Unmarshal([]byte(annotation), &fails) != nil {
		return nil
	}
	var out []finding.RuleID
	for _, f := range fails {
		if r, ok := strings.CutPrefix(f.Policy, PolicyPrefix); ok {
			out = append(out, finding.RuleID(r))
		}
	}
	return out
}

// deniedBy reads which rule refused a request from its status message:
// "ValidatingAdmissionPolicy 'kharden-<rule>' with binding ... denied
// request", or PSA's "violates PodSecurity".
func deniedBy(msg string) (finding.RuleID, bool) {
	const marker = "ValidatingAdmissionPolicy '" + PolicyPrefix
	if i := strings.Index(msg, marker); i >= 0 {
		rest := msg[i+len(marker):]
		if j := strings.IndexByte(rest, '\''); j > 0 {
			return finding.RuleID(rest[:j]), true
		}
	}
	if strings.Contains(msg, "violates PodSecurity") {
		return PodSecurity, true
	}
	return "", false
}
