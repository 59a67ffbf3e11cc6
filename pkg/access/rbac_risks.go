package access

import (
	"strings"

	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/scan"
)

// RBACRulePrefix starts the id of every RBAC rule of the catalogue.
const RBACRulePrefix = "rbac-"

// RBACRisks runs the catalogue's RBAC rules (ids starting with rbac-) on
// the inventory with the scan engine, every other rule turned off, so that
// severities, exceptions and baselines work as for a scan. The problems of
// the RBAC objects (dangling roleRefs, malformed rules) are added to the
// result as warnings.
func RBACRisks(inv *inventory.Inventory, opts scan.Options) (*scan.Result, error) {
	opts.Config = RBACOnlyConfig(opts.Config, opts.Catalogue)
	res, err := scan.Inventory(inv, opts)
	if err != nil {
		return nil, err
	}
	for _, p := range rbac.For(inv).Problems {
		res.Diagnostics = append(res.Diagnostics, rbProblemDiagnostic(p))
	}
	return res, nil
}

// RBACOnlyConfig is cfg (nil: the defaults) with every rule of the
// catalogue (nil: checks.Catalogue()) that is not an RBAC rule turned off;
// RBAC rules keep what cfg says of them.
func RBACOnlyConfig(cfg *config.Config, cat []*checks.Check) *config.Config {
	if cfg == nil {
		cfg = config.Default()
	}
	if cat == nil {
		cat = checks.Catalogue()
	}
	out := *cfg
	out.Rules = make(map[finding.RuleID]config.RuleConfig, len(cat))
	for id, rc := range cfg.Rules {
		out.Rules[id] = rc
	}
	off := false
	for _, c := range cat {
		if !strings.HasPrefix(string(c.ID), RBACRulePrefix) {
			rc := out.Rules[c.ID]
			rc.Enabled = &off
			out.Rules[c.ID] = rc
		}
	}
	return &out
}

// rbProblemDiagnostic turns an RBAC problem into a warning with the file
// and line of the object, when it came from a file.
func rbProblemDiagnostic(p rbac.Problem) inventory.Diagnostic {
	return inventory.Diagnostic{File: p.Source.File, Line: p.Source.Line, Message: p.Object.String() + ": " + p.Message, Warning: true}
}
