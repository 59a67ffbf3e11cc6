package dns

import (
	"bytes"
	"testing"
)

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		`[INFO] 10.244.3.17:51234 - 4242 "TXT IN abc.example.net. udp 29 false 512" NXDOMAIN qr,rd,ra 68 0.000123s`,
		`[INFO] [::1]:53 - 1 "A IN x. tcp 1 true 4096" NOERROR qr 1 0.1s "QUERY"`,
		`2026-11-25T02:00:00.123456789Z stdout F [INFO] 10.0.0.1:1 - 1 "A IN a. udp 1 false 512" NOERROR qr 1 0.1s`,
		`{"log":"[INFO] 10.0.0.1:1 - 1 \"A IN a. udp 1 false 512\" NOERROR qr 1 0.1s\n","stream":"stdout","time":"2026-11-25T02:00:00Z"}`,
		`2026-11-25T03:00:00+01:00 10.0.0.1:1 - 1 "A IN a. udp`,
		"[INFO] plugin/reload: Running configuration",
		`{"log":"\u00e9\\\"","time":"2026-13-45T99:00:00Z"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var rec Record
		if err := NewParser().Parse(bytes.Clone(line), &rec); err == nil {
			if rec.Client == "" || rec.Type == "" || len(rec.Name) == 0 || rec.Rcode == "" {
				t.Fatalf("accepted %q as %+v", line, rec)
			}
		}
	})
}

// FuzzDecoder feeds whole inputs, with the detectors behind: nothing may
// panic or stall.
func FuzzDecoder(f *testing.F) {
	f.Add([]byte("2026-11-25T02:00:00Z [INFO] 10.0.0.1:1 - 1 \"TXT IN aqzxkvbnmwrtpa2b3c4.example.net. udp 1 false 512\" NXDOMAIN qr 1 0.1s\ngarbage\n\n[INFO] 10.0.0.1:1 - 1 \"A IN b.svc.cluster.local. udp 1 false 512\" NXDOMAIN qr 1 0.1s"))
	f.Add([]byte{0x1f, 0x8b, 0x08, 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		e, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		d := NewDecoder(bytes.NewReader(in), "fuzz")
		var rec Record
		for d.Next(&rec) {
			e.Observe(&rec)
		}
		e.Close()
		_ = e.Findings()
		if s := d.Stats(); s.Queries+s.Skipped() > s.Lines {
			t.Fatalf("stats %+v", *s)
		}
	})
}
