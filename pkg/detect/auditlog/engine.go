package auditlog

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
)

// Options configure an Engine.
type Options struct {
	// Config is .kharden.yaml (production namespaces, break-glass groups,
	// the detect section); nil means defaults.
	Config *config.Config
	// Rules limits the detectors to these rules; empty runs all.
	Rules []finding.RuleID
	// Since and Until bound the events analysed (zero: unbounded); events
	// outside are counted, not analysed.
	Since, Until time.Time
	// OnAlert, when set, is called as soon as a (rule, object) pair fires,
	// and again when it fires at a higher severity or AlertEvery after its
	// last alert. The finding holds that hit alone.
	OnAlert func(finding.Finding)
	// AlertEvery is the minimum log time between two alerts of the same
	// rule and object (default 10 minutes).
	AlertEvery time.Duration
}

// Env is what every detector reads: settings with defaults filled, and the
// configuration.
type Env struct {
	Settings *config.DetectSettings
	Config   *config.Config
}

// detector is one stateful detector. observe sees every event in the
// analysed range (final or not: a detector that counts requests must skip
// non-final stages itself); advance is called when the watermark (the
// newest event time minus the allowed lateness) moves, for windows to
// close; flush at the end of the input.
type detector interface {
	observe(ev *Event, r *Reporter)
	advance(watermark time.Time, r *Reporter)
	flush(r *Reporter)
}

// registration adds a detector for the rules it reports.
type registration struct {
	rules []finding.RuleID
	make  func(env *Env) detector
}

var (
	registryMu sync.Mutex
	registry   []registration
)

// register is called from the init function of each detector's file.
func register(make func(env *Env) detector, rules ...finding.RuleID) {
	registryMu.Lock()
	defer registryMu.Unlock()
	registry = append(registry, registration{rules: rules, make: make})
}

// Rules returns the metadata of every rule the audit detectors report.
func Rules() []*checks.Check { return checks.AuditRules() }

// EngineStats counts what the engine saw.
type EngineStats struct {
	Observed     int64 `json:"observed"`
	OutsideRange int64 `json:"outsideRange"`
	// Late events arrived more than the allowed lateness behind the newest
	// one: still judged by one-event detectors, not counted in rates.
	Late int64 `json:"late"`
	// DroppedFindings were not kept because MaxFindings was reached.
	DroppedFindings int64     `json:"droppedFindings"`
	First           time.Time `json:"first"`
	Last            time.Time `json:"last"`
}

// MaxFindings bounds the distinct (rule, object) findings one engine keeps.
const MaxFindings = 50000

// Engine runs the detectors over a stream of events.
type Engine struct {
	opts      Options
	env       *Env
	dets      []detector
	keys      []string // the first rule of each detector, naming its saved state
	rep       *Reporter
	watermark time.Time
	newest    time.Time
	stats     EngineStats
	// mark names the last input the caller fed whole (a spool batch),
	// saved and restored with the state.
	mark string
}

// SetMark records which input the engine has just taken in whole; the mark
// is saved with the state, so that after a restart the caller knows the
// input whose counts the state already holds.
func (e *Engine) SetMark(m string) { e.mark = m }

// Mark is the last mark set or restored.
func (e *Engine) Mark() string { return e.mark }

// New builds an engine; an unknown rule id or an invalid detect section is
// an error.
func New(opts Options) (*Engine, error) {
	cfg := opts.Config
	if cfg == nil {
		cfg = config.Default()
	}
	s, err := cfg.Detection()
	if err != nil {
		return nil, err
	}
	if opts.AlertEvery <= 0 {
		opts.AlertEvery = 10 * time.Minute
	}
	want := map[finding.RuleID]bool{}
	known := map[finding.RuleID]bool{}
	for _, c := range checks.AuditRules() {
		known[c.ID] = true
	}
	for _, id := range opts.Rules {
		if !known[id] {
			return nil, fmt.Errorf("unknown audit rule %q", id)
		}
		want[id] = true
	}
	env := &Env{Settings: s, Config: cfg}
	e := &Engine{opts: opts, env: env}
	e.rep = newReporter(opts, cfg, want)
	registryMu.Lock()
	regs := slices.Clone(registry)
	registryMu.Unlock()
	for _, reg := range regs {
		on := len(want) == 0
		for _, id := range reg.rules {
			if want[id] {
				on = true
			}
		}
		if on && cfg.RuleEnabledAny(reg.rules) {
			e.dets = append(e.dets, reg.make(env))
			e.keys = append(e.keys, string(reg.rules[0]))
		}
	}
	return e, nil
}

// Observe feeds one event. Events outside Since/Until are counted only.
func (e *Engine) Observe(ev *Event) {
	if (!e.opts.Since.IsZero() && ev.Time.Before(e.opts.Since)) || (!e.opts.Until.IsZero() && !ev.Time.Before(e.opts.Until)) {
		e.stats.OutsideRange++
		return
	}
	e.stats.Observed++
	if !ev.Time.IsZero() {
		if e.stats.First.IsZero() || ev.Time.Before(e.stats.First) {
			e.stats.First = ev.Time
		}
		if ev.Time.After(e.stats.Last) {
			e.stats.Last = ev.Time
		}
		if ev.Time.Before(e.watermark) {
			e.stats.Late++
		}
	}
	for _, d := range e.dets {
		d.observe(ev, e.rep)
	}
	if ev.Time.After(e.newest) {
		e.newest = ev.Time
		e.AdvanceTo(ev.Time)
	}
}

// AdvanceTo moves time on to now (the newest event, or the clock of a live
// stream gone quiet): windows that ended AllowedLateness before now close
// and report. The watermark moves in whole seconds: cheap, and exact enough
// for windows of a minute.
func (e *Engine) AdvanceTo(now time.Time) {
	if wm := now.Add(-e.env.Settings.AllowedLateness).Truncate(time.Second); wm.After(e.watermark) {
		e.watermark = wm
		for _, d := range e.dets {
			d.advance(wm, e.rep)
		}
	}
}

// Watermark is the time before which windows are closed.
func (e *Engine) Watermark() time.Time { return e.watermark }

// Close closes every open window; call it at the end of the input.
func (e *Engine) Close() {
	for _, d := range e.dets {
		d.flush(e.rep)
	}
}

// Stats returns the engine's counters.
func (e *Engine) Stats() EngineStats {
	s := e.stats
	s.DroppedFindings = e.rep.dropped
	return s
}

// Findings returns one finding per (rule, object), sorted by severity,
// rule and object; the engine keeps them, so call it after Close.
func (e *Engine) Findings() []finding.Finding {
	out := make([]finding.Finding, 0, len(e.rep.entries))
	for _, en := range e.rep.entries {
		f := en.f
		d := *en.f.Detection
		d.Events = slices.Clone(d.Events)
		f.Detection = &d
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Object.String() < b.Object.String()
	})
	return out
}

// Hit is one detection: a rule fired on an object.
type Hit struct {
	Rule   finding.RuleID
	Object finding.ObjectRef
	// Severity overrides the rule's default when set.
	Severity *finding.Severity
	Message  string
	// Events are the records behind the hit (at most MaxDetectionEvents
	// are kept); Count is how many records it stands for (default
	// len(Events), at least 1).
	Events []finding.Event
	Count  int
	// At is when it happened (default: the first event's time).
	At time.Time
	// Score ranks hits of one finding: the message of the highest is kept.
	Score   float64
	Related []finding.Related
}

// Sev returns a pointer for Hit.Severity.
func Sev(s finding.Severity) *finding.Severity { return &s }

// Reporter merges hits into findings, one per rule and object.
type Reporter struct {
	opts    Options
	cfg     *config.Config
	want    map[finding.RuleID]bool
	meta    map[finding.RuleID]*checks.Check
	entries map[string]*entry
	dropped int64
}

type entry struct {
	f         finding.Finding
	score     float64
	lastAlert time.Time
	alerted   finding.Severity
}

func newReporter(opts Options, cfg *config.Config, want map[finding.RuleID]bool) *Reporter {
	r := &Reporter{opts: opts, cfg: cfg, want: want, meta: map[finding.RuleID]*checks.Check{}, entries: map[string]*entry{}}
	for _, c := range checks.AuditRules() {
		r.meta[c.ID] = c
	}
	return r
}

// Report records a hit. Rules not asked for or turned off in the
// configuration are dropped here, so detectors need not check.
func (r *Reporter) Report(h Hit) {
	c, ok := r.meta[h.Rule]
	if !ok {
		panic(fmt.Sprintf("auditlog: rule %s has no catalogue entry", h.Rule))
	}
	if (len(r.want) > 0 && !r.want[h.Rule]) || !r.cfg.RuleEnabled(h.Rule, true) {
		return
	}
	sev := c.Severity
	if h.Severity != nil {
		sev = *h.Severity
	}
	count := h.Count
	if count <= 0 {
		count = max(1, len(h.Events))
	}
	at := h.At
	if at.IsZero() && len(h.Events) > 0 {
		at = h.Events[0].Time
	}
	key := string(h.Rule) + "\x00" + h.Object.String()
	en := r.entries[key]
	if en == nil {
		if len(r.entries) >= MaxFindings {
			r.dropped++
			return
		}
		en = &entry{f: finding.Finding{
			Rule: c.ID, Category: c.Category, Severity: sev, Object: h.Object, Message: h.Message,
			Remediation: c.Remediation, References: slices.Clone(c.References), Related: h.Related,
			Detection: &finding.Detection{First: at, Last: at},
		}, score: h.Score, alerted: -1}
		r.entries[key] = en
	} else if sev > en.f.Severity || (sev == en.f.Severity && h.Score > en.score) {
		en.f.Severity = sev
		en.f.Message = h.Message
		en.score = h.Score
		if h.Related != nil {
			en.f.Related = h.Related
		}
	}
	d := en.f.Detection
	d.Count += count
	if !at.IsZero() {
		if d.First.IsZero() || at.Before(d.First) {
			d.First = at
		}
		if at.After(d.Last) {
			d.Last = at
		}
	}
	for _, ev := range h.Events {
		if len(d.Events) >= finding.MaxDetectionEvents {
			break
		}
		d.Events = append(d.Events, ev)
	}
	if r.opts.OnAlert != nil && (sev > en.alerted || en.lastAlert.IsZero() || at.Sub(en.lastAlert) >= r.opts.AlertEvery) {
		en.alerted = max(en.alerted, sev)
		en.lastAlert = at
		if en.lastAlert.IsZero() {
			en.lastAlert = time.Unix(1, 0)
		}
		evs := h.Events
		if len(evs) > finding.MaxDetectionEvents {
			evs = evs[:finding.MaxDetectionEvents]
		}
		r.opts.OnAlert(finding.Finding{
			Rule: c.ID, Category: c.Category, Severity: sev, Object: h.Object, Message: h.Message,
			Remediation: c.Remediation, References: slices.Clone(c.References), Related: h.Related,
			Detection: &finding.Detection{First: at, Last: at, Count: count, Events: slices.Clone(evs)},
		})
	}
}

// The objects audit findings are about.
const kharden = "kharden.dev/v1"

// UserRef names an identity: a ServiceAccount, a node, a user, or the
// unauthenticated caller.
func UserRef(user string) finding.ObjectRef {
	if ns, name, ok := IsServiceAccount(user); ok {
		return finding.ObjectRef{APIVersion: "v1", Kind: "ServiceAccount", Namespace: ns, Name: name}
	}
	if node, ok := strings.CutPrefix(user, "system:node:"); ok && node != "" {
		return finding.ObjectRef{APIVersion: "v1", Kind: "Node", Name: node}
	}
	if user == "" {
		user = "(unauthenticated)"
	}
	return finding.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "User", Name: user}
}

// SourceRef names a client address.
func SourceRef(ip string) finding.ObjectRef {
	if ip == "" {
		ip = "(unknown)"
	}
	return finding.ObjectRef{APIVersion: kharden, Kind: "SourceIP", Name: ip}
}

// kinds maps the resources detectors report on to their kinds.
var kinds = map[string]string{
	"pods": "Pod", "services": "Service", "configmaps": "ConfigMap", "secrets": "Secret", "ingresses": "Ingress",
	"roles": "Role", "rolebindings": "RoleBinding", "clusterroles": "ClusterRole", "clusterrolebindings": "ClusterRoleBinding",
	"serviceaccounts": "ServiceAccount", "namespaces": "Namespace", "nodes": "Node",
	"deployments": "Deployment", "daemonsets": "DaemonSet", "statefulsets": "StatefulSet", "replicasets": "ReplicaSet",
	"jobs": "Job", "cronjobs": "CronJob",
	"validatingwebhookconfigurations": "ValidatingWebhookConfiguration", "mutatingwebhookconfigurations": "MutatingWebhookConfiguration",
	"validatingadmissionpolicies": "ValidatingAdmissionPolicy", "validatingadmissionpolicybindings": "ValidatingAdmissionPolicyBinding",
	"mutatingadmissionpolicies": "MutatingAdmissionPolicy", "mutatingadmissionpolicybindings": "MutatingAdmissionPolicyBinding",
}

// ResourceRef names the object an event acted on. A name the body knows
// (generateName) is preferred to an empty objectRef name.
func ResourceRef(ev *Event) finding.ObjectRef {
	kind := kinds[ev.Object.Resource]
	if kind == "" {
		kind = ev.Object.Resource
	}
	apiVersion := ev.Object.APIVersion
	if ev.Object.APIGroup != "" {
		apiVersion = ev.Object.APIGroup + "/" + ev.Object.APIVersion
	}
	if apiVersion == "" {
		apiVersion = "v1"
	}
	name := ev.Object.Name
	if name == "" && ev.Body != nil {
		name = string(ev.Body.GetStringBytes("metadata", "name"))
		if name == "" {
			name = string(ev.Body.GetStringBytes("metadata", "generateName")) + "*"
		}
	}
	return finding.ObjectRef{APIVersion: apiVersion, Kind: kind, Namespace: ev.Object.Namespace, Name: name}
}
