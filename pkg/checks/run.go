package checks

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/pss"
	"k8s.io/pod-security-admission/policy"
)

// Pass is what a Go check sees: the whole inventory (with its indexes), the
// configuration, and a way to report.
type Pass struct {
	Inv    *inventory.Inventory
	Config *config.Config
	check  *Check
	sink   *objectResults
	now    time.Time
}

// Report records a finding of the running check on the object it runs on.
// A check reports only on that object: findings about other objects belong
// to the runs for those objects, which keeps the run parallel and ordered.
func (p *Pass) Report(loc Location) { p.sink.add(p.check, p.sink.obj, loc) }

// Runner evaluates an enabled set of checks; build it once, run it on any
// number of inventories.
type Runner struct {
	cfg      *config.Config
	checks   []*Check
	pss      *pss.Evaluator
	pssRules []*Check
	allPSS   []*Check // every PSS rule of the catalogue, enabled or not
	enabled  map[*Check]bool
	celProgs map[*Check]*cel.Program
	params   map[string]any
	// Now is the clock exception expiry is judged by.
	Now func() time.Time
}

// NewRunner compiles what the enabled checks need: the PSS evaluator for the
// configured version and one CEL program per guardrail.
func NewRunner(cat []*Check, cfg *config.Config) (*Runner, error) {
	r := &Runner{cfg: cfg, celProgs: map[*Check]*cel.Program{}, params: Params(cfg), Now: time.Now}
	r.enabled = map[*Check]bool{}
	for _, c := range cat {
		if c.Engine == EnginePSS {
			r.allPSS = append(r.allPSS, c)
		}
		if c.Engine == EngineAnalysis || !cfg.RuleEnabled(c.ID, !c.Disabled) {
			// Analysis rules are reported by their command, not run here.
			continue
		}
		r.enabled[c] = true
		r.checks = append(r.checks, c)
		switch c.Engine {
		case EnginePSS:
			r.pssRules = append(r.pssRules, c)
		case EngineCEL:
			p, err := cel.Compile(c.Guardrail)
			if err != nil {
				return nil, fmt.Errorf("rule %s: %w", c.ID, err)
			}
			r.celProgs[c] = p
		}
	}
	if len(r.pssRules) > 0 {
		ev, err := pss.NewEvaluator(cfg.PSSVersion)
		if err != nil {
			return nil, err
		}
		r.pss = ev
	}
	return r, nil
}

// Checks returns the enabled checks.
func (r *Runner) Checks() []*Check { return r.checks }

// Params is the parameter object CEL guardrails read, shaped like the
// ConfigMap that the exported ValidatingAdmissionPolicies take as params so
// that offline and in-cluster verdicts agree.
func Params(cfg *config.Config) map[string]any {
	return map[string]any{"data": cel.ParamsData(cfg.AllowedRegistries, cfg.OwnerKeys, cfg.DataClassificationKey)}
}

// Hit is a raw finding with the object it is about.
type Hit struct {
	Finding finding.Finding
	Object  *inventory.Object
}

// Run evaluates every enabled check on every object, in parallel, and
// returns the findings in input order, plus diagnostics for objects that
// could only be partly evaluated. Findings are raw: owner, lines,
// fingerprints and suppressions are added by the caller. RunSpans gives the
// same findings without a copy per finding.
func (r *Runner) Run(inv *inventory.Inventory) ([]Hit, []inventory.Diagnostic) {
	fs, spans, diags := r.RunSpans(inv)
	hits := make([]Hit, 0, len(fs))
	for _, s := range spans {
		for i := s.Start; i < s.End; i++ {
			hits = append(hits, Hit{Finding: fs[i], Object: s.Object})
		}
	}
	return hits, diags
}

// Span is the run fs[Start:End] of RunSpans's findings about one object.
type Span struct {
	Object     *inventory.Object
	Start, End int
}

// runChunk is how many consecutive objects a worker evaluates into one
// slice: few slices to join, and no slice per object.
const runChunk = 64

// RunSpans is Run with the findings in one slice, in input order, and the
// object of each run of them in spans (objects without findings have none).
// A cluster yields hundreds of thousands of findings; the caller finishes
// them in place instead of copying them once more.
func (r *Runner) RunSpans(inv *inventory.Inventory) ([]finding.Finding, []Span, []inventory.Diagnostic) {
	now := r.Now()
	workers := runtime.GOMAXPROCS(0)
	objs := inv.Objects
	type chunkResults struct {
		res  objectResults
		ends []int // end of each object's findings in res.findings
	}
	chunks := make([]chunkResults, (len(objs)+runChunk-1)/runChunk)
	var wg sync.WaitGroup
	next := make(chan int, workers*4)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ci := range next {
				c := &chunks[ci]
				lo, hi := ci*runChunk, min((ci+1)*runChunk, len(objs))
				c.ends = make([]int, 0, hi-lo)
				for i := lo; i < hi; i++ {
					c.res.obj = objs[i]
					start := len(c.res.findings)
					r.runObject(inv, &c.res, now)
					kept := dedupe(c.res.findings[start:])
					c.res.findings = c.res.findings[:start+len(kept)]
					c.ends = append(c.ends, len(c.res.findings))
				}
			}
		}()
	}
	for ci := range chunks {
		next <- ci
	}
	close(next)
	wg.Wait()

	n, nspans := 0, 0
	for ci := range chunks {
		n += len(chunks[ci].res.findings)
		prev := 0
		for _, e := range chunks[ci].ends {
			if e > prev {
				nspans++
			}
			prev = e
		}
	}
	fs := make([]finding.Finding, 0, n)
	spans := make([]Span, 0, nspans)
	var diags []inventory.Diagnostic
	for ci := range chunks {
		c := &chunks[ci]
		base, prev := len(fs), 0
		for k, e := range c.ends {
			if e > prev {
				spans = append(spans, Span{Object: objs[ci*runChunk+k], Start: base + prev, End: base + e})
			}
			prev = e
		}
		for k, e := range c.ends {
			o := objs[ci*runChunk+k]
			for j := prev0(c.ends, k); j < e; j++ {
				fs = append(fs, c.res.findings[j].expand(o))
			}
		}
		diags = append(diags, c.res.diags...)
		c.res.findings = nil // collectable while the rest are joined
	}
	return fs, spans, diags
}

// objectResults collects what the checks found on one object.
type objectResults struct {
	obj      *inventory.Object
	findings []hit
	diags    []inventory.Diagnostic
}

// hit is a finding before it is expanded into a finding.Finding: the check
// and the object give the rest of its fields. A quarter of the size, which
// matters while hundreds of thousands of them wait to be joined.
type hit struct {
	check     *Check
	path      string
	container string
	message   string
	severity  *finding.Severity
	related   []finding.Related
}

func (s *objectResults) add(c *Check, o *inventory.Object, loc Location) {
	msg := loc.Message
	if msg == "" {
		msg = c.Summary
	}
	s.findings = append(s.findings, hit{check: c, path: loc.Path, container: loc.Container, message: msg,
		severity: loc.Severity, related: loc.Related})
}

// expand makes the finding of a hit on o.
func (h *hit) expand(o *inventory.Object) finding.Finding {
	c := h.check
	var src *finding.Source
	if o.Source.File != "" {
		src = &finding.Source{File: o.Source.File, Line: o.Source.Line}
	}
	sev := c.Severity
	if h.severity != nil {
		sev = *h.severity
	}
	return finding.Finding{
		Rule:        c.ID,
		Category:    c.Category,
		Severity:    sev,
		Level:       c.Level,
		Object:      o.Ref,
		Source:      src,
		Path:        h.path,
		Container:   h.container,
		Message:     h.message,
		Remediation: c.Remediation,
		References:  c.References,
		Related:     h.related,
	}
}

func (s *objectResults) warn(format string, args ...any) {
	o := s.obj
	s.diags = append(s.diags, inventory.Diagnostic{
		File: o.Source.File, Line: o.Source.Line, Warning: true,
		Message: o.Ref.String() + ": " + fmt.Sprintf(format, args...),
	})
}

func (r *Runner) runObject(inv *inventory.Inventory, res *objectResults, now time.Time) {
	o := res.obj
	tmpl, isPod := o.PodTemplateOf()
	if isPod && r.pss != nil {
		r.runPSS(tmpl, res)
	}
	var input *cel.Input
	for _, c := range r.checks {
		if !c.AppliesTo(o.GK) {
			continue
		}
		switch c.Engine {
		case EngineCEL:
			if input == nil {
				input = cel.NewInputWithTemplate(o, tmpl, isPod, r.params)
			}
			vs, err := r.celProgs[c].Evaluate(input)
			if err != nil {
				res.warn("rule %s could not be evaluated: %v", c.ID, err)
				continue
			}
			for _, v := range vs {
				res.add(c, o, Location{Path: v.Path, Container: v.Container, Message: v.Message})
			}
		case EngineGo:
			c.Run(&Pass{Inv: inv, Config: r.cfg, check: c, sink: res, now: now}, o)
		}
	}
}

// runPSS evaluates every PSS check once and hands each failure to the rules
// bound to it.
func (r *Runner) runPSS(t inventory.PodTemplate, res *objectResults) {
	violations, err := r.pss.Evaluate(t, finding.LevelRestricted)
	if err != nil {
		// The spec had fields of the wrong type; the evaluator still judged
		// what it could read.
		res.warn("pod spec partly unreadable for Pod Security Standards: %v", err)
	}
	for _, v := range violations {
		located := false
		var first *Check
		for _, c := range r.allPSS {
			if !c.PSS.binds(v.Check) {
				continue
			}
			enabled := r.enabled[c]
			if first == nil && enabled {
				first = c
			}
			locs := c.PSS.Locate(t, v.Check, r.pss.EffectiveVersion())
			located = located || len(locs) > 0
			if !enabled {
				// Turned off: its share of the failure is not reported, and
				// not handed to a sibling rule either.
				continue
			}
			for _, loc := range locs {
				if loc.Message == "" {
					loc.Message = pssMessage(v)
				}
				res.add(c, res.obj, loc)
			}
		}
		// The library's verdict is authoritative: if no locator pinned the
		// field down, report at the pod spec rather than lose the failure.
		if !located && first != nil {
			res.add(first, res.obj, Location{Path: t.SpecPath, Message: pssMessage(v)})
		}
	}
}

func pssMessage(v pss.Violation) string {
	if v.Detail == "" {
		return v.Reason
	}
	return v.Reason + " (" + v.Detail + ")"
}

func (b *PSSBinding) binds(id policy.CheckID) bool {
	for _, c := range b.Checks {
		if c == id {
			return true
		}
	}
	return false
}

// dedupe drops repeated findings of one rule on one field of one object (two
// PSA checks can report the same field under one rule, e.g. capabilities at
// both levels). An object has few findings: a quadratic scan beats a map.
func dedupe(fs []hit) []hit {
	out := fs[:0]
	for _, f := range fs {
		dup := false
		for j := range out {
			if out[j].check.ID == f.check.ID && out[j].path == f.path && out[j].container == f.container {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, f)
		}
	}
	return out
}

// prev0 is where the findings of the k-th object of a chunk start.
func prev0(ends []int, k int) int {
	if k == 0 {
		return 0
	}
	return ends[k-1]
}

// SortFindings orders findings by file, line, object, rule and path.
func SortFindings(fs []finding.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := &fs[i], &fs[j]
		af, bf := "", ""
		al, bl := 0, 0
		if a.Source != nil {
			af, al = a.Source.File, a.Source.Line
		}
		if b.Source != nil {
			bf, bl = b.Source.File, b.Source.Line
		}
		if af != bf {
			return af < bf
		}
		if al != bl {
			return al < bl
		}
		if c := compareRefs(a.Object, b.Object); c != 0 {
			return c < 0
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Path < b.Path
	})
}

// compareRefs orders references as their kind/namespace/name strings would.
func compareRefs(a, b finding.ObjectRef) int {
	if a.Kind == b.Kind && a.Namespace == b.Namespace && a.Name == b.Name {
		return 0 // the common case in a sort, decided without building strings
	}
	return strings.Compare(a.String(), b.String())
}
