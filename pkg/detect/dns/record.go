// Package dns reads CoreDNS `log` plugin lines and finds in them what a
// compromised pod does on the wire: query floods, random-looking names
// (domain generation algorithms, tunnelling, cryptominer pools speaking
// over TXT records) and bursts of NXDOMAIN answers. Lines are parsed by
// hand, one at a time, in constant memory; state is bounded per window.
package dns

import (
	"time"

	"github.com/kharden/kharden/pkg/finding"
)

// Record is one query line. Name is lower-cased and valid only until the
// next line is read; the other strings are interned and may be kept.
type Record struct {
	// Time is the line's own time, or (Inherited) the time of the previous
	// timed line of the same input, or zero when the input has none yet.
	Time      time.Time
	Inherited bool
	Client    string // the remote address without port or brackets
	Type      string // A, AAAA, TXT, ...
	Name      []byte // the question, with its final dot
	Proto     string // udp or tcp
	Rcode     string // NOERROR, NXDOMAIN, ...
	Source    finding.Source
}

// Action renders the question for evidence: "TXT abc.example.net.".
func (r *Record) Action() string { return r.Type + " " + string(r.Name) }
