package auditlog

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
)

// decodeAll reads every event of data; it fails the test on a panic only.
func decodeAll(t testing.TB, data []byte) ([]Event, *Stats, error) {
	t.Helper()
	d := NewDecoder(bytes.NewReader(data), "in.log")
	var out []Event
	var last error
	for {
		var ev Event
		err := d.Next(&ev)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			last = err
			continue
		}
		ev.Body = nil
		out = append(out, ev)
	}
	return out, d.Stats(), last
}

func TestDecodeLines(t *testing.T) {
	data := Lines(
		E{User: "alice", Groups: []string{"dev"}, Verb: "get", Resource: "pods", NS: "shop", Name: "web-1"},
		E{At: 1, User: "bob", As: "carol", Verb: "create", Resource: "pods/exec", NS: "shop", Name: "web-1", Code: 403},
		E{At: 2, Verb: "get", URI: "/version?timeout=32s", Code: 401},
	)
	evs, st, err := decodeAll(t, data)
	if err != nil || len(evs) != 3 || st.Events != 3 || st.Skipped() != 0 {
		t.Fatalf("events %d stats %+v err %v", len(evs), st, err)
	}
	if evs[0].User.Username != "alice" || evs[0].Object.Namespace != "shop" || evs[0].Code != 200 || evs[0].Decision != "allow" ||
		!evs[0].Time.Equal(t0) || evs[0].Source.Line != 1 {
		t.Errorf("first event: %+v", evs[0])
	}
	if evs[1].Resource() != "pods/exec" || evs[1].Impersonated == nil || evs[1].Impersonated.Username != "carol" || evs[1].Actor() != "bob as carol" {
		t.Errorf("second event: %+v", evs[1])
	}
	if evs[2].HasObject || evs[2].Action() != "get /version" || evs[2].Actor() != "(unauthenticated)" {
		t.Errorf("third event: %+v %q", evs[2], evs[2].Action())
	}
}

func TestDecodeGzipListsAndBadInput(t *testing.T) {
	good := E{User: "alice", Verb: "list", Resource: "secrets", NS: "shop"}.JSON()
	list := `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[` + string(good) + `,` + string(good) + `]}`
	var in bytes.Buffer
	in.Write(good)
	in.WriteString("\n" + list + "\n")
	in.WriteString("not json at all\n")
	in.WriteString(string(good[:len(good)/2]) + "\n") // truncated
	in.WriteString(`{"kind":"Event","apiVersion":"audit.k8s.io/v9","auditID":"x"}` + "\n")
	in.WriteString(`{"kind":"Pod","apiVersion":"v1"}` + "\n")
	in.WriteString("[1,2]\n")
	in.Write(good)
	in.WriteString("\n")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(in.Bytes())
	zw.Close()
	for name, data := range map[string][]byte{"plain": in.Bytes(), "gzip": gz.Bytes()} {
		evs, st, err := decodeAll(t, data)
		if err != nil || len(evs) != 4 {
			t.Errorf("%s: %d events, err %v", name, len(evs), err)
		}
		if st.Malformed != 2 || st.UnknownVersion != 1 || st.NotEvent != 2 || len(st.Problems) != 5 {
			t.Errorf("%s: stats %+v", name, st)
		}
		if p := st.Problems[0]; p.Source.Line != 3 || !strings.Contains(p.Error(), "in.log:3:") {
			t.Errorf("%s: first problem %v", name, p)
		}
	}
	// A gzip stream cut short: the events before the cut are delivered,
	// the break is reported.
	var many bytes.Buffer
	zw = gzip.NewWriter(&many)
	for i := 0; i < 5000; i++ {
		zw.Write(Lines(E{At: 1, User: "alice", Verb: "get", Resource: "pods", NS: "shop", Name: strings.Repeat("p", i%50)}))
	}
	zw.Close()
	cut := many.Bytes()[:many.Len()*2/3]
	evs, st, err := decodeAll(t, cut)
	if err == nil || st.Corrupt != 1 || len(evs) == 0 {
		t.Errorf("truncated gzip: %d events, corrupt %d, err %v", len(evs), st.Corrupt, err)
	}
}

func TestDecodePrettyEventList(t *testing.T) {
	good := string(E{User: "alice", Verb: "get", Resource: "pods", NS: "shop", Name: "a"}.JSON())
	pretty := "{\n  \"kind\": \"EventList\",\n  \"apiVersion\": \"audit.k8s.io/v1\",\n  \"items\": [\n    " + good + ",\n    " + good + "\n  ],\n  \"metadata\": {}\n}\n" +
		"{\n \"kind\": \"Event\", \"apiVersion\": \"audit.k8s.io/v1\",\n \"auditID\": \"p\", \"verb\": \"get\"\n}\n"
	evs, st, err := decodeAll(t, []byte(pretty))
	if err != nil || len(evs) != 3 || evs[2].AuditID != "p" {
		t.Fatalf("%d events, stats %+v, err %v", len(evs), st, err)
	}
}

func TestDecodeOversized(t *testing.T) {
	big := E{User: "alice", Verb: "create", Resource: "configmaps", NS: "a", Name: "big",
		Body: map[string]any{"data": map[string]any{"k": strings.Repeat("x", 5000)}}}.JSON()
	small := E{User: "alice", Verb: "get", Resource: "pods", NS: "a", Name: "p"}.JSON()
	data := append(append(append(append([]byte{}, big...), '\n'), small...), '\n')
	d := NewDecoder(bytes.NewReader(data), "in.log")
	d.SetMaxEventBytes(2000)
	var ev Event
	n := 0
	for d.Next(&ev) == nil {
		n++
	}
	if n != 1 || d.Stats().Oversized != 1 || ev.Object.Name != "p" {
		t.Fatalf("events %d stats %+v", n, d.Stats())
	}
}

// Bodies of Secrets are never kept; those of pods are.
func TestBodiesKeptOnlyWhereRead(t *testing.T) {
	data := Lines(
		E{User: "a", Verb: "create", Resource: "secrets", NS: "s", Name: "x", Body: map[string]any{"data": map[string]any{"k": "c2VjcmV0"}}},
		E{User: "a", Verb: "create", Resource: "tokenreviews", Group: "authentication.k8s.io", Body: map[string]any{"spec": map[string]any{"token": "abc"}}},
		E{User: "a", Verb: "create", Resource: "pods", NS: "s", Name: "p", Body: map[string]any{"spec": map[string]any{}}},
	)
	d := NewDecoder(bytes.NewReader(data), "in.log")
	var ev Event
	var kept []bool
	for d.Next(&ev) == nil {
		kept = append(kept, ev.Body != nil)
	}
	if len(kept) != 3 || kept[0] || kept[1] || !kept[2] {
		t.Fatalf("bodies kept: %v", kept)
	}
}
