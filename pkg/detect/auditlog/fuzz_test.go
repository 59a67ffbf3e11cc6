package auditlog

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"testing"
	"time"
)

// FuzzDecoder: any input ends (no stall, no panic), every record is counted
// once as an event or a skip, and the engine digests whatever comes out.
func FuzzDecoder(f *testing.F) {
	good := E{User: "alice", Verb: "create", Resource: "pods", NS: "shop", Name: "p",
		Body: map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "c", "securityContext": map[string]any{"privileged": true}}}}}}.JSON()
	f.Add(good)
	f.Add(append(append(append([]byte{}, good...), '\n'), good[:40]...))
	f.Add([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` + string(good) + `,{"kind":"Event"}]}`))
	f.Add([]byte("{\n \"kind\": \"EventList\",\n \"apiVersion\": \"audit.k8s.io/v1\",\n \"items\": [\n" + string(good) + "\n]\n}\n"))
	f.Add([]byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"x","requestReceivedTimestamp":"not a time","objectRef":7,"user":"u"}`))
	f.Add([]byte("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n{\"a\":"))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(Lines(E{User: "a", Verb: "get", Resource: "secrets", NS: "x"}))
	zw.Close()
	f.Add(gz.Bytes())
	f.Add(gz.Bytes()[:gz.Len()-5])
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		defer func() {
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("one input took %v: something stalls", d)
			}
		}()
		d := NewDecoder(bytes.NewReader(data), "fuzz.log")
		d.SetMaxEventBytes(4096)
		eng, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		var ev Event
		for i := 0; ; i++ {
			if i > len(data)+10 {
				t.Fatalf("more results than input bytes: the decoder stalls")
			}
			err := d.Next(&ev)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				// A broken input ends the stream: the next call says EOF.
				if err := d.Next(&ev); !errors.Is(err, io.EOF) {
					t.Fatalf("after a terminal error: %v", err)
				}
				break
			}
			if ev.Time.After(time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)) {
				ev.Time = time.Time{}
			}
			eng.Observe(&ev)
		}
		eng.Close()
		_ = eng.Findings()
		if st := d.Stats(); len(st.Problems) > MaxProblems {
			t.Fatalf("%d problems kept", len(st.Problems))
		}
	})
}
