// Package scan is the one flow of kharden: sources -> inventory -> checks ->
// findings, with the post-processing every front door shares (severity
// overrides, owners, field lines, fingerprints, exceptions and baselines).
package scan

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// Options configure one scan.
type Options struct {
	Load   inventory.LoadOptions
	Config *config.Config
	// Baseline is a baseline file: findings whose fingerprint it lists are
	// suppressed (they do not fail the build).
	Baseline string
	// Now is the clock for exception expiry; nil means time.Now.
	Now func() time.Time
	// Catalogue overrides the rule set (tests); nil means checks.Catalogue().
	Catalogue []*checks.Check
	// AllowEmpty turns "no Kubernetes objects found" into a warning.
	AllowEmpty bool
}

// Result is everything a renderer or a gate needs.
type Result struct {
	Inventory   *inventory.Inventory
	Rules       []*checks.Check // the rules that ran, sorted by id
	Findings    []finding.Finding
	Diagnostics []inventory.Diagnostic
	// Baseline is the baseline file applied, if any.
	Baseline string
}

// Run loads the sources and scans them.
func Run(ctx context.Context, opts Options) (*Result, error) {
	inv, err := inventory.Load(ctx, opts.Load)
	if err != nil {
		return nil, err
	}
	return Inventory(inv, opts)
}

// Inventory scans an inventory that is already built (live clusters, tests).
func Inventory(inv *inventory.Inventory, opts Options) (*Result, error) {
	cfg := opts.Config
	if cfg == nil {
		cfg = config.Default()
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	cat := opts.Catalogue
	if cat == nil {
		cat = checks.Catalogue()
	}
	if err := checks.Validate(cat); err != nil {
		return nil, fmt.Errorf("rule catalogue: %w", err)
	}
	runner, err := checks.NewRunner(cat, cfg)
	if err != nil {
		return nil, err
	}
	runner.Now = now
	out, spans, runDiags := runner.RunSpans(inv)

	var baseline Baseline
	if opts.Baseline != "" {
		if baseline, err = ReadBaseline(opts.Baseline); err != nil {
			return nil, err
		}
	}
	clock := now()
	nsIndex := namespaceObjects(inv)
	// Findings are finished in place, one object's run at a time: owner and
	// exception are read once per object.
	parallelRanges(len(spans), func(lo, hi int) {
		for _, s := range spans[lo:hi] {
			owner := ownerOf(s.Object, nsIndex, cfg.OwnerKeys)
			exception := checks.ReadAnnotationException(s.Object, clock)
			for i := s.Start; i < s.End; i++ {
				f := &out[i]
				f.Severity = cfg.SeverityFor(f.Rule, f.Severity)
				f.Owner = owner
				if f.Source != nil && f.Path != "" {
					if line, col, ok := s.Object.FieldPosition(f.Path); ok && line > 0 {
						f.Source.Line, f.Source.Column = line, col
					}
				}
				f.Fingerprint = f.ComputeFingerprint()
				f.Suppressed = suppression(*f, exception, cfg, clock)
				if f.Suppressed == nil && baseline.Has(f.Fingerprint) {
					f.Suppressed = &finding.Suppression{Kind: finding.SuppressedByBaseline, Reason: "listed in baseline " + opts.Baseline}
				}
			}
		}
	})
	out = append(out, expiredConfigExceptions(cfg, cat, clock)...)
	checks.SortFindings(out)
	diags := append(append([]inventory.Diagnostic{}, inv.Diagnostics...), runDiags...)
	if opts.AllowEmpty {
		for i := range diags {
			if diags[i].NoObjects {
				diags[i].Warning = true
			}
		}
	}
	// The rules as they ran: with configured severities.
	rules := make([]*checks.Check, 0, len(runner.Checks()))
	for _, c := range runner.Checks() {
		cc := *c
		cc.Severity = cfg.SeverityFor(c.ID, c.Severity)
		rules = append(rules, &cc)
	}
	return &Result{Inventory: inv, Rules: rules, Findings: out, Diagnostics: diags, Baseline: opts.Baseline}, nil
}

// Active returns the findings that count: those not suppressed.
func (r *Result) Active() []finding.Finding {
	var out []finding.Finding
	for _, f := range r.Findings {
		if f.Suppressed == nil {
			out = append(out, f)
		}
	}
	return out
}

// Exceeds reports whether any unsuppressed finding is at or above sev.
func (r *Result) Exceeds(sev finding.Severity) bool { return finding.Exceeds(r.Findings, sev) }

// InputErrors returns the diagnostics that make the run fail (exit 2).
func (r *Result) InputErrors() []inventory.Diagnostic {
	var out []inventory.Diagnostic
	for _, d := range r.Diagnostics {
		if !d.Warning {
			out = append(out, d)
		}
	}
	return out
}

// parallelRanges splits [0, n) into one contiguous range per CPU and runs
// fn on each concurrently.
func parallelRanges(n int, fn func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < 256 || workers == 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += step {
		hi := min(lo+step, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}
