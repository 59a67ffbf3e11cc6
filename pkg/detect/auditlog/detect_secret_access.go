package auditlog

import (
	"fmt"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// secretAccess reports audit-secret-access-unusual from the final records
// of allowed get, list and watch of core secrets: an identity reading
// Secrets after the first detect.warmup of log time that never read one
// during it; a list or watch across all namespaces; more than
// detect.secretBulk distinct Secrets read by one identity in one window.
// Trusted identities and the cluster's own components are never reported.
type secretAccess struct {
	env   *Env
	first time.Time
	// readers read Secrets during the warm-up.
	readers map[string]bool
	// distinct[window index][user] holds the Secrets read by get, up to
	// SecretBulk+1 of them.
	distinct map[int64]map[string]map[string]bool
}

// maxSecretReaders bounds the identities remembered as warm-up readers.
const maxSecretReaders = 100000

func init() {
	register(func(env *Env) detector {
		return &secretAccess{env: env, readers: map[string]bool{}, distinct: map[int64]map[string]map[string]bool{}}
	}, checks.RuleAuditSecretAccessUnusual)
}

func (d *secretAccess) observe(ev *Event, r *Reporter) {
	if !ev.Time.IsZero() && (d.first.IsZero() || ev.Time.Before(d.first)) {
		d.first = ev.Time
	}
	if !ev.Final() || !ev.Allowed() || ev.Object.Resource != "secrets" || ev.Object.Subresource != "" || ev.Object.APIGroup != "" {
		return
	}
	if ev.Verb != "get" && ev.Verb != "list" && ev.Verb != "watch" {
		return
	}
	user := ev.User.Username
	s := d.env.Settings
	if ev.Time.Before(d.first.Add(s.Warmup)) {
		if len(d.readers) < maxSecretReaders {
			d.readers[user] = true
		}
		// Bulk reads during the warm-up are still bulk reads.
	}
	if IsSystem(user) || s.Trusted(user) || user == "" {
		return
	}
	who := ev.Actor()
	switch {
	case ev.Verb != "get" && ev.Object.Namespace == "":
		r.Report(Hit{Rule: checks.RuleAuditSecretAccessUnusual, Object: UserRef(user), Severity: Sev(finding.SeverityHigh),
			Message: fmt.Sprintf("%s listed the Secrets of every namespace (%s) from %s.", who, ev.Verb, clientText(ev)),
			Events:  []finding.Event{ev.Evidence()}, Score: 2})
	case ev.Verb == "get" && d.bulk(user, ev):
		r.Report(Hit{Rule: checks.RuleAuditSecretAccessUnusual, Object: UserRef(user), Severity: Sev(finding.SeverityHigh),
			Message: fmt.Sprintf("%s read more than %d distinct Secrets in %s, the last %s, from %s.", who, s.SecretBulk,
				durText(s.Window), ev.Action(), clientText(ev)),
			Events: []finding.Event{ev.Evidence()}, Score: 1})
	case !ev.Time.Before(d.first.Add(s.Warmup)) && !d.readers[user]:
		r.Report(Hit{Rule: checks.RuleAuditSecretAccessUnusual, Object: UserRef(user),
			Message: fmt.Sprintf("%s read Secrets (%s) from %s and had not read any in the first %s of the log.", who,
				ev.Action(), clientText(ev), durText(s.Warmup)),
			Events: []finding.Event{ev.Evidence()}})
	}
}

// bulk records a get and reports whether it is the one that takes the
// user past SecretBulk distinct Secrets in its window.
func (d *secretAccess) bulk(user string, ev *Event) bool {
	i := ev.Time.UnixNano() / int64(d.env.Settings.Window)
	w := d.distinct[i]
	if w == nil {
		w = map[string]map[string]bool{}
		d.distinct[i] = w
	}
	set := w[user]
	if set == nil {
		set = map[string]bool{}
		w[user] = set
	}
	limit := d.env.Settings.SecretBulk
	if len(set) > limit {
		return false // already reported for this window
	}
	set[ev.Object.Namespace+"/"+ev.Object.Name] = true
	return len(set) == limit+1
}

func (d *secretAccess) advance(wm time.Time, _ *Reporter) {
	upto := wm.UnixNano() / int64(d.env.Settings.Window)
	for i := range d.distinct {
		if i < upto {
			delete(d.distinct, i)
		}
	}
}

func (d *secretAccess) flush(*Reporter) { clear(d.distinct) }
