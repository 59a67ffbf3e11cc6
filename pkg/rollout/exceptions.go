package rollout

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
)

// MaxMatchConditions is the API server's limit per policy.
const MaxMatchConditions = 64

// ExceptionStatus is one .kharden.yaml exception as the rollout sees it.
type ExceptionStatus struct {
	Index     int              `json:"index"`
	Rules     []finding.RuleID `json:"rules"`
	Owner     string           `json:"owner"`
	Reason    string           `json:"reason"`
	Expires   string           `json:"expires,omitempty"`
	Permanent bool             `json:"permanent,omitempty"`
	Scope     config.Scope     `json:"scope,omitempty"`
	Expired   bool             `json:"expired"`
	// DaysLeft is the number of days until expiry (-1 when permanent).
	DaysLeft int `json:"daysLeft"`
	// Native says whether the API server can honour it; CIOnly says why
	// not (a files scope means nothing to the API server).
	Native bool   `json:"native"`
	CIOnly string `json:"ciOnly,omitempty"`
}

// Exceptions lists the configuration's exceptions with their state at now.
func Exceptions(cfg *config.Config, now time.Time) []ExceptionStatus {
	var out []ExceptionStatus
	today := day(now)
	for i, e := range cfg.Exceptions {
		st := ExceptionStatus{Index: i, Rules: e.Rules, Owner: e.Owner, Reason: e.Reason, Expires: e.Expires,
			Permanent: e.Permanent, Scope: e.Scope, Expired: e.ExpiredAt(now), DaysLeft: -1, Native: true}
		if e.Expires != "" {
			if t, err := config.ParseDate(e.Expires); err == nil {
				st.DaysLeft = int(day(t).Sub(today).Hours() / 24)
			}
		}
		if len(e.Scope.Files) > 0 {
			st.Native, st.CIOnly = false, "scoped by file: the API server sees objects, not files"
		}
		out = append(out, st)
	}
	return out
}

func day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Expiring keeps the unexpired, non-permanent exceptions that expire
// within d.
func Expiring(all []ExceptionStatus, d time.Duration) []ExceptionStatus {
	var out []ExceptionStatus
	for _, e := range all {
		if !e.Expired && !e.Permanent && float64(e.DaysLeft) <= d.Hours()/24 {
			out = append(out, e)
		}
	}
	return out
}

// exceptionConditions are the matchConditions of rule's policy: an object
// is admitted to the policy only when no exception covers it. Config
// exceptions that have expired at now are left out (the policy applies
// again); annotation exceptions are honoured while their ignore-until date
// is today or later — today as of the export, so an export must be renewed
// for annotation expiry to take effect (`kharden rollout apply` does).
func exceptionConditions(rule finding.RuleID, cfg *config.Config, now time.Time) ([]admissionregistrationv1.MatchCondition, []string, error) {
	var conds []admissionregistrationv1.MatchCondition
	var notes []string
	for _, st := range Exceptions(cfg, now) {
		if st.Expired || !covers(st.Rules, rule) {
			continue
		}
		if !st.Native {
			notes = append(notes, fmt.Sprintf("exceptions[%d] (owner %s) is not exported: %s", st.Index, st.Owner, st.CIOnly))
			continue
		}
		expr, err := scopeExpr(st.Scope)
		if err != nil {
			return nil, nil, fmt.Errorf("exceptions[%d]: %w", st.Index, err)
		}
		conds = append(conds, admissionregistrationv1.MatchCondition{
			Name: fmt.Sprintf("kharden-exception-%d", st.Index), Expression: "!(" + expr + ")"})
	}
	conds = append(conds, admissionregistrationv1.MatchCondition{
		Name: "kharden-annotation-exception", Expression: "!(" + annotationExpr(rule, day(now).Format("2006-01-02")) + ")"})
	if len(conds) > MaxMatchConditions {
		return nil, nil, fmt.Errorf("rule %s: %d exceptions, more than the API server's %d matchConditions per policy", rule, len(conds)-1, MaxMatchConditions-1)
	}
	return conds, notes, nil
}

func covers(rules []finding.RuleID, id finding.RuleID) bool {
	for _, r := range rules {
		if r == id || r == "*" {
			return true
		}
	}
	return false
}

// scopeExpr is true for the objects a scope selects, as the scan's
// inScope decides: namespace, kind and name patterns (path.Match). A name
// also selects objects owned by one so named, or by one named NAME-<suffix>
// (the Pods of a Deployment's ReplicaSet, the Jobs of a CronJob): the scan
// judges the Deployment, the API server sees its Pods too.
func scopeExpr(s config.Scope) (string, error) {
	var parts []string
	if len(s.Namespaces) > 0 {
		res, err := regexes(s.Namespaces, "")
		if err != nil {
			return "", err
		}
		parts = append(parts, res+".exists(p, request.namespace.matches(p))")
	}
	if len(s.Kinds) > 0 {
		res, err := regexes(s.Kinds, "")
		if err != nil {
			return "", err
		}
		parts = append(parts, res+".exists(p, request.kind.kind.matches(p))")
	}
	if len(s.Names) > 0 {
		own, err := regexes(s.Names, "")
		if err != nil {
			return "", err
		}
		owner, _ := regexes(s.Names, "(-[a-z0-9]+)?")
		parts = append(parts, "("+own+".exists(p, object.metadata.?name.orValue('').matches(p)) || "+
			owner+".exists(p, object.metadata.?ownerReferences.orValue([]).exists(o, o.name.matches(p))))")
	}
	if len(parts) == 0 {
		return "true", nil
	}
	return strings.Join(parts, " && "), nil
}

var patternChars = regexp.MustCompile(`^[A-Za-z0-9.*?\[\]!^_-]*$`)

// regexes turns path.Match patterns into a CEL list of anchored regular
// expressions (raw strings), each followed by suffix.
func regexes(patterns []string, suffix string) (string, error) {
	var out []string
	for _, p := range patterns {
		if !patternChars.MatchString(p) {
			return "", fmt.Errorf("scope pattern %q: only letters, digits, '.', '-', '_' and the wildcards * ? [...] can be exported", p)
		}
		out = append(out, "r'^"+globRegex(p)+suffix+"$'")
	}
	sort.Strings(out)
	return "[" + strings.Join(out, ", ") + "]", nil
}

// globRegex translates a path.Match pattern (no separators in names) to RE2.
func globRegex(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := strings.IndexByte(p[i:], ']')
			if j < 0 {
				b.WriteString(`\[`)
				continue
			}
			// path.Match negates with '^' only (as RE2 does); '!' is a
			// literal member of the class there, and must stay one here.
			b.WriteString(p[i : i+j+1])
			i += j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String()
}

// annotationExpr is true when the object, or (when the object declares no
// exception itself) its pod template, carries a kharden.dev/ignore
// exception covering rule with a reason and an ignore-until date not before
// today — the scan's ReadAnnotationException, in CEL.
func annotationExpr(rule finding.RuleID, today string) string {
	grants := func(m string) string {
		a := m + ".?annotations"
		return "(" + a + "[?'" + checks.AnnotationIgnore + "'].orValue('').split(',').exists(x, x.trim() in ['" + string(rule) + "', '*', 'all']) && " +
			a + "[?'" + checks.AnnotationIgnoreReason + "'].orValue('').trim() != '' && " +
			a + "[?'" + checks.AnnotationIgnoreUntil + "'].orValue('') >= '" + today + "')"
	}
	tmpl := "object.?spec.?jobTemplate.?spec.?template.?metadata.orValue(object.?spec.?template.?metadata.orValue(object.?template.?metadata.orValue({})))"
	declares := "object.metadata.?annotations[?'" + checks.AnnotationIgnore + "'].hasValue()"
	return grants("object.metadata") + " || (!" + declares + " && " + grants(tmpl) + ")"
}
