package auditlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
)

// t0 anchors test events.
var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// E is a test audit event: the fields detectors read, written out as the
// API server's log backend does.
type E struct {
	At       time.Duration // after t0
	User     string
	Groups   []string
	As       string // impersonated user
	IP       string
	Verb     string
	Resource string // "pods" or "pods/exec"
	Group    string // API group
	NS, Name string
	URI      string // for non-resource requests
	Code     int
	Stage    string         // default ResponseComplete
	Body     map[string]any // requestObject
	Response map[string]any // responseObject
	Decision string
}

// JSON renders the event as one audit.k8s.io/v1 line.
func (e E) JSON() []byte {
	stage := e.Stage
	if stage == "" {
		stage = StageResponseComplete
	}
	ev := map[string]any{
		"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse", "auditID": "id-" + e.Verb + "-" + e.Name,
		"stage": stage, "verb": e.Verb, "userAgent": "test",
		"requestReceivedTimestamp": t0.Add(e.At).Format(time.RFC3339Nano),
		"stageTimestamp":           t0.Add(e.At + time.Millisecond).Format(time.RFC3339Nano),
	}
	user := map[string]any{}
	if e.User != "" {
		user["username"] = e.User
	}
	if e.Groups != nil {
		user["groups"] = e.Groups
	}
	ev["user"] = user
	if e.As != "" {
		ev["impersonatedUser"] = map[string]any{"username": e.As}
	}
	ip := e.IP
	if ip == "" {
		ip = "10.0.0.1"
	}
	ev["sourceIPs"] = []string{ip}
	if e.Resource != "" {
		res, sub, _ := cut(e.Resource)
		ref := map[string]any{"resource": res, "apiVersion": "v1"}
		if sub != "" {
			ref["subresource"] = sub
		}
		if e.Group != "" {
			ref["apiGroup"] = e.Group
		}
		if e.NS != "" {
			ref["namespace"] = e.NS
		}
		if e.Name != "" {
			ref["name"] = e.Name
		}
		ev["objectRef"] = ref
		uri := "/api/v1/"
		if e.NS != "" {
			uri += "namespaces/" + e.NS + "/"
		}
		ev["requestURI"] = uri + res
	} else {
		ev["requestURI"] = e.URI
	}
	code := e.Code
	if code == 0 {
		code = 200
	}
	ev["responseStatus"] = map[string]any{"metadata": map[string]any{}, "code": code}
	if e.Body != nil {
		ev["requestObject"] = e.Body
	}
	if e.Response != nil {
		ev["responseObject"] = e.Response
	}
	dec := e.Decision
	if dec == "" {
		dec = "allow"
		if code == 403 {
			dec = "forbid"
		}
	}
	if code != 401 {
		ev["annotations"] = map[string]any{"authorization.k8s.io/decision": dec}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return b
}

func cut(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// Lines joins events into a JSON-lines log.
func Lines(es ...E) []byte {
	var b bytes.Buffer
	for _, e := range es {
		b.Write(e.JSON())
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// analyze runs every detector (or those of rules) over events with cfg
// (nil: defaults) and returns the findings.
func analyze(t testing.TB, cfg *config.Config, es []E, rules ...finding.RuleID) []finding.Finding {
	t.Helper()
	return analyzeBytes(t, cfg, Lines(es...), rules...)
}

func analyzeBytes(t testing.TB, cfg *config.Config, data []byte, rules ...finding.RuleID) []finding.Finding {
	t.Helper()
	eng, err := New(Options{Config: cfg, Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	d := NewDecoder(bytes.NewReader(data), "audit.log")
	var ev Event
	for {
		err := d.Next(&ev)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		eng.Observe(&ev)
	}
	eng.Close()
	return eng.Findings()
}

// byRule counts findings per rule.
func byRule(fs []finding.Finding) map[finding.RuleID]int {
	m := map[finding.RuleID]int{}
	for _, f := range fs {
		m[f.Rule]++
	}
	return m
}

// mustConfig parses a .kharden.yaml document.
func mustConfig(t testing.TB, doc string) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// splitAt cuts a log in two at a time: the events before it, and the rest.
func splitAt(es []E, at time.Duration) (before, after []E) {
	for _, e := range es {
		if e.At < at {
			before = append(before, e)
		} else {
			after = append(after, e)
		}
	}
	return before, after
}
