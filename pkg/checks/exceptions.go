package checks

import (
	"fmt"
	"strings"
	"time"

	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// Annotations that declare an exception on the object that carries them.
const (
	AnnotationIgnore       = "kharden.dev/ignore"
	AnnotationIgnoreReason = "kharden.dev/ignore-reason"
	AnnotationIgnoreUntil  = "kharden.dev/ignore-until"
	AnnotationIgnoreOwner  = "kharden.dev/ignore-owner"
)

// AnnotationException is an exception read from an object's annotations.
type AnnotationException struct {
	Rules  map[finding.RuleID]bool // "*" or "all" in the annotation selects every rule
	All    bool
	Reason string
	Owner  string
	Until  string
	// Problem says why the exception does not apply ("" when it does).
	Problem string
	Expired bool
}

// Covers reports whether the exception silences a rule.
func (e *AnnotationException) Covers(id finding.RuleID) bool { return e.All || e.Rules[id] }

// ReadAnnotationException reads the kharden.dev/ignore annotations of an
// object (or, for a workload, of its pod template too). It returns nil when
// the object declares no exception. An exception without a reason or without
// an expiry date does not apply (nothing is silently permanent), nor does one
// whose date has passed.
func ReadAnnotationException(o *inventory.Object, now time.Time) *AnnotationException {
	ann := o.Annotations()
	if _, ok := ann[AnnotationIgnore]; !ok {
		if t, isPod := o.PodTemplateOf(); isPod {
			ann = inventory.StringMap(inventory.MapAt(t.Meta, "annotations"))
		}
	}
	list, ok := ann[AnnotationIgnore]
	if !ok {
		return nil
	}
	e := &AnnotationException{Rules: map[finding.RuleID]bool{}, Reason: ann[AnnotationIgnoreReason],
		Owner: ann[AnnotationIgnoreOwner], Until: ann[AnnotationIgnoreUntil]}
	for _, r := range strings.Split(list, ",") {
		r = strings.TrimSpace(r)
		switch r {
		case "":
		case "*", "all":
			e.All = true
		default:
			e.Rules[finding.RuleID(r)] = true
		}
	}
	var missing []string
	if len(e.Rules) == 0 && !e.All {
		missing = append(missing, "rule ids in "+AnnotationIgnore)
	}
	if strings.TrimSpace(e.Reason) == "" {
		missing = append(missing, AnnotationIgnoreReason)
	}
	if strings.TrimSpace(e.Until) == "" {
		missing = append(missing, AnnotationIgnoreUntil)
	}
	switch {
	case len(missing) > 0:
		e.Problem = "exception does not apply: missing " + strings.Join(missing, ", ")
	default:
		expired, err := config.Expired(e.Until, now)
		switch {
		case err != nil:
			e.Problem = fmt.Sprintf("exception does not apply: %s: %v", AnnotationIgnoreUntil, err)
		case expired:
			e.Expired = true
			e.Problem = fmt.Sprintf("exception for %s expired on %s", list, e.Until)
		}
	}
	return e
}

func annotationPath(key string) string { return inventory.Join("metadata", "annotations", key) }

// exceptionExpired reports exceptions whose expiry date has passed: they no
// longer silence anything, and someone must renew or remove them.
var exceptionExpired = &Check{
	ID:       "exception-expired",
	Category: finding.CategoryGovernance,
	Severity: finding.SeverityMedium,
	Summary:  "An exception (kharden.dev/ignore or .kharden.yaml) has passed its expiry date",
	Doc: "Checks the kharden.dev/ignore-until annotation of objects that declare a kharden.dev/ignore " +
		"exception, and the expires field of .kharden.yaml exceptions. Once the date has passed (the whole day " +
		"counts) the exception stops silencing findings, and this rule reports it so that its owner renews it " +
		"with a new reason or removes it.",
	Remediation: "Fix the findings the exception covered, or renew it with a new kharden.dev/ignore-until date " +
		"and a current kharden.dev/ignore-reason.",
	References: []string{"PRODUCT PC3: exceptions with owner, reason and expiry", "NSA/CISA Kubernetes Hardening Guide: Audit and threat detection (periodic review)"},
	Engine:     EngineGo,
	AnyKind:    true,
	Run: func(p *Pass, o *inventory.Object) {
		if e := ReadAnnotationException(o, p.now); e != nil && e.Expired {
			p.Report(Location{Path: annotationPath(AnnotationIgnoreUntil), Message: e.Problem})
		}
	},
}

// exceptionIncomplete reports kharden.dev/ignore annotations that do not
// apply because they lack a reason, an expiry date or rule ids.
var exceptionIncomplete = &Check{
	ID:       "exception-incomplete",
	Category: finding.CategoryGovernance,
	Severity: finding.SeverityLow,
	Summary:  "A kharden.dev/ignore exception lacks a reason or an expiry date and does not apply",
	Doc: "Checks objects with a kharden.dev/ignore annotation for kharden.dev/ignore-reason and a valid " +
		"kharden.dev/ignore-until date (YYYY-MM-DD). Without both the exception is not applied: no exception " +
		"is silently permanent, and every one says why it exists.",
	Remediation: "Add kharden.dev/ignore-reason (why the risk is accepted) and kharden.dev/ignore-until " +
		"(when to look again), and optionally kharden.dev/ignore-owner.",
	References: []string{"PRODUCT PC3: exceptions with owner, reason and expiry"},
	Engine:     EngineGo,
	AnyKind:    true,
	Run: func(p *Pass, o *inventory.Object) {
		if e := ReadAnnotationException(o, p.now); e != nil && e.Problem != "" && !e.Expired {
			p.Report(Location{Path: annotationPath(AnnotationIgnore), Message: e.Problem})
		}
	},
}
