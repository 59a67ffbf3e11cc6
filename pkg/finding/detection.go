package finding

import "time"

// CategoryDetection holds the rules of the detectors: what audit and DNS
// logs show happening, rather than how objects are configured.
const CategoryDetection Category = "detection"

// Detection summarises the log records a detector's finding rests on: when
// the behaviour was first and last seen, how many records showed it, and the
// first few of them, trimmed to who did what, from where, with what result.
// Request and response bodies are never part of it.
type Detection struct {
	First  time.Time `json:"first"`
	Last   time.Time `json:"last"`
	Count  int       `json:"count"`
	Events []Event   `json:"events,omitempty"`
}

// Event is one log record behind a detection, trimmed.
type Event struct {
	Time time.Time `json:"time"`
	// ID is the record's own identifier (an audit event's auditID).
	ID     string  `json:"id,omitempty"`
	Source *Source `json:"source,omitempty"`
	// Actor is who acted: a user or ServiceAccount, a DNS client's pod.
	Actor string `json:"actor,omitempty"`
	// Client is the address the request came from.
	Client string `json:"client,omitempty"`
	// Action is what was asked: "create pods/exec shop/web-1", "TXT a1b2.example.net.".
	Action string `json:"action"`
	// Outcome is the answer: an HTTP status code, a DNS rcode.
	Outcome string `json:"outcome,omitempty"`
}

// MaxDetectionEvents bounds the events a finding carries.
const MaxDetectionEvents = 5
