// Package auditlog reads the API server's audit events (audit.k8s.io/v1,
// as the log backend writes them and as the webhook backend posts them) and
// runs kharden's detectors over them: rates and spikes against each
// identity's own baseline, maintenance windows, first-time behaviour, and the
// create-time rules that need one event only. Findings are the scan engine's,
// carrying the triggering events trimmed; request and response bodies of
// Secrets, tokens and token reviews are never kept.
package auditlog

import (
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/kharden/kharden/pkg/finding"
)

// Event is the part of an audit event the detectors read. Body is the
// request object (or, for a patch, the response object) of the resources the
// detectors look into; it is nil for every other resource, and always for
// Secrets, TokenReviews and token requests. Body is only valid until the
// decoder's next call.
type Event struct {
	AuditID    string
	Stage      string
	Level      string
	Verb       string
	RequestURI string
	User       UserInfo
	// Impersonated is the user the request acted as, when it impersonated.
	Impersonated *UserInfo
	SourceIPs    []string
	UserAgent    string
	Object       ObjectRef // zero for non-resource requests
	HasObject    bool
	Code         int // responseStatus.code; 0 when the event has none
	// Time is requestReceivedTimestamp (stageTimestamp when absent).
	Time time.Time
	// Decision and Reason are the authorization.k8s.io annotations.
	Decision, Reason string
	// PolicyFailures is the validation.policy.admission.k8s.io/validation_failure
	// annotation (JSON: the ValidatingAdmissionPolicy validations that failed
	// under an Audit binding); PSAViolations is PSA's audit-violations
	// annotation. StatusMessage is the response's message for refused
	// requests (at most 1 KiB).
	PolicyFailures, PSAViolations, StatusMessage string
	Body                                         *fastjson.Value
	Source                                       finding.Source

	imp UserInfo
}

// UserInfo is an authenticated (or anonymous) identity.
type UserInfo struct {
	Username string
	Groups   []string
}

// ObjectRef is the event's objectRef.
type ObjectRef struct {
	Resource, Subresource, Namespace, Name, APIGroup, APIVersion string
}

// Stages of an audit event.
const (
	StageRequestReceived  = "RequestReceived"
	StageResponseStarted  = "ResponseStarted"
	StageResponseComplete = "ResponseComplete"
	StagePanic            = "Panic"
)

// Final reports whether the event is the last record of its request (the
// stage detectors count, so that one request is counted once whatever stages
// the policy records). Events without a stage are taken as final.
func (e *Event) Final() bool {
	switch e.Stage {
	case StageResponseComplete, StagePanic, "":
		return true
	}
	return false
}

// SourceIP is the first source address (the client, or the last proxy's
// X-Forwarded-For entry), "" when none.
func (e *Event) SourceIP() string {
	if len(e.SourceIPs) == 0 {
		return ""
	}
	return e.SourceIPs[0]
}

// Allowed reports whether the request succeeded (2xx or 3xx, or a final
// event without a status that authorization allowed).
func (e *Event) Allowed() bool {
	if e.Code != 0 {
		return e.Code < 400
	}
	return e.Decision == "allow"
}

// Anonymous reports whether the request was made without credentials.
func (e *Event) Anonymous() bool {
	if e.User.Username == "system:anonymous" {
		return true
	}
	for _, g := range e.User.Groups {
		if g == "system:unauthenticated" {
			return true
		}
	}
	return false
}

// Mutating reports whether the verb changes state.
func (e *Event) Mutating() bool {
	switch e.Verb {
	case "create", "update", "patch", "delete", "deletecollection":
		return true
	}
	return false
}

// Resource is "resource" or "resource/subresource".
func (e *Event) Resource() string {
	if e.Object.Subresource != "" {
		return e.Object.Resource + "/" + e.Object.Subresource
	}
	return e.Object.Resource
}

// Actor names the identity as detectors report it: the impersonating user
// and whom it acted as, "(unauthenticated)" for failed authentication.
func (e *Event) Actor() string {
	u := e.User.Username
	if u == "" {
		u = "(unauthenticated)"
	}
	if e.Impersonated != nil {
		u += " as " + e.Impersonated.Username
	}
	return u
}

// Action renders the request as "verb resource ns/name" or "verb URI".
func (e *Event) Action() string {
	if !e.HasObject {
		return e.Verb + " " + trimQuery(e.RequestURI)
	}
	var b strings.Builder
	b.WriteString(e.Verb)
	b.WriteByte(' ')
	b.WriteString(e.Resource())
	if e.Object.APIGroup != "" {
		b.WriteByte('.')
		b.WriteString(e.Object.APIGroup)
	}
	switch {
	case e.Object.Namespace != "" && e.Object.Name != "":
		b.WriteString(" " + e.Object.Namespace + "/" + e.Object.Name)
	case e.Object.Namespace != "":
		b.WriteString(" -n " + e.Object.Namespace)
	case e.Object.Name != "":
		b.WriteString(" " + e.Object.Name)
	}
	return b.String()
}

// trimQuery drops the query string: it carries nothing a detector reports
// and may carry what should not be printed.
func trimQuery(uri string) string {
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		return uri[:i]
	}
	return uri
}

// Evidence is the event trimmed for a finding.
func (e *Event) Evidence() finding.Event {
	out := finding.Event{Time: e.Time.UTC(), ID: e.AuditID, Actor: e.Actor(), Client: e.SourceIP(), Action: e.Action()}
	if e.Source.File != "" {
		src := e.Source
		out.Source = &src
	}
	if e.Code != 0 {
		out.Outcome = strconv.Itoa(e.Code)
	}
	return out
}

// IsServiceAccount splits "system:serviceaccount:NS:NAME".
func IsServiceAccount(user string) (ns, name string, ok bool) {
	rest, ok := strings.CutPrefix(user, "system:serviceaccount:")
	if !ok {
		return "", "", false
	}
	ns, name, ok = strings.Cut(rest, ":")
	return ns, name, ok && ns != "" && name != ""
}

// IsSystem reports whether a user is one of the cluster's own components
// (system:kube-controller-manager, system:node:..., system:apiserver,
// ServiceAccounts of kube-system), as opposed to people and workloads.
func IsSystem(user string) bool {
	if ns, _, ok := IsServiceAccount(user); ok {
		return ns == "kube-system"
	}
	return strings.HasPrefix(user, "system:")
}
