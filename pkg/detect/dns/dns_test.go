package dns

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

func TestParseFormats(t *testing.T) {
	const q = `10.244.3.17:51234 - 4242 "TXT IN AbC.Example.NET. udp 29 false 512" NXDOMAIN qr,rd,ra 68 0.000123s`
	ts := time.Date(2026, 11, 25, 2, 0, 0, 123456789, time.UTC)
	for _, tc := range []struct {
		name, line string
		time       time.Time
		client     string
	}{
		{"bare", q, time.Time{}, "10.244.3.17"},
		{"info", "[INFO] " + q, time.Time{}, "10.244.3.17"},
		{"combined", "[INFO] " + q + ` "QUERY"`, time.Time{}, "10.244.3.17"},
		{"ipv6", `[INFO] [fd00::1]:53 - 1 "TXT IN abc.example.net. tcp 29 true 4096" NXDOMAIN qr 68 0.1s`, time.Time{}, "fd00::1"},
		{"rfc3339", "2026-11-25T02:00:00.123456789Z [INFO] " + q, ts, "10.244.3.17"},
		{"offset", "2026-11-25T03:00:00.123456789+01:00 " + q, ts, "10.244.3.17"},
		{"cri", "2026-11-25T02:00:00.123456789Z stdout F [INFO] " + q, ts, "10.244.3.17"},
		{"docker", fmt.Sprintf(`{"log":%q,"stream":"stdout","time":"2026-11-25T02:00:00.123456789Z"}`, "[INFO] "+q+"\n"), ts, "10.244.3.17"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec Record
			if err := NewParser().Parse([]byte(tc.line), &rec); err != nil {
				t.Fatal(err)
			}
			if !rec.Time.Equal(tc.time) || rec.Client != tc.client || rec.Type != "TXT" || string(rec.Name) != "abc.example.net." || rec.Rcode != "NXDOMAIN" {
				t.Errorf("got %+v name %s", rec, rec.Name)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for line, want := range map[string]error{
		"[INFO] plugin/reload: Running configuration SHA512 = 1234": ErrNotQuery,
		".:53":           ErrNotQuery,
		"CoreDNS-1.11.1": ErrNotQuery,
		`[INFO] 10.0.0.1:5353 - 1 "A IN x.example. udp 29 false 512" NOER`: ErrMalformed,
		`10.0.0.1:5353 - 1 "A IN x.ex`:                                     ErrMalformed,
		"garbage":                                                          ErrMalformed,
		"2026-11-25T02:00:00Z stdout P [INFO] 10.0.0.1:5353 - 1 \"A IN":    ErrPartial,
		`{"log":"unterminated`:                                             ErrMalformed,
	} {
		var rec Record
		if err := NewParser().Parse([]byte(line), &rec); err != want {
			t.Errorf("%q: got %v, want %v", line, err, want)
		}
	}
}

func TestDecoderProblemsAndFallback(t *testing.T) {
	in := strings.Join([]string{
		`[INFO] 10.0.0.1:1 - 1 "A IN a.example. udp 1 false 512" NOERROR qr 1 0.1s`, // before any time
		"garbage line",
		"[INFO] plugin/reload: Running configuration",
		`2026-11-25T02:00:00Z [INFO] 10.0.0.1:1 - 1 "A IN b.example. udp 1 false 512" NOERROR qr 1 0.1s`,
		`[INFO] 10.0.0.1:1 - 1 "A IN c.example. udp 1 false 512" NOERROR qr 1 0.1s`, // inherits
		strings.Repeat("x", MaxLineBytes+10),
		`10.0.0.1:1 - 1 "A IN d.example. udp 1 false 512" NOERROR qr 1 0.1s`,
	}, "\n")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	io.WriteString(zw, in)
	zw.Close()
	gz := slices.Clone(buf.Bytes())
	d := NewDecoder(&buf, "coredns.log.gz")
	var rec Record
	var names []string
	for d.Next(&rec) {
		names = append(names, string(rec.Name))
	}
	s := d.Stats()
	if !slices.Equal(names, []string{"a.example.", "b.example.", "c.example.", "d.example."}) {
		t.Errorf("names %v", names)
	}
	if s.Lines != 7 || s.Queries != 4 || s.Malformed != 1 || s.Other != 1 || s.Oversized != 1 || s.Untimed != 1 || s.Inherited != 2 || s.Corrupt != 0 {
		t.Errorf("stats %+v", *s)
	}
	if len(s.Problems) != 2 || s.Problems[0].Error() != "coredns.log.gz:2: malformed query line" {
		t.Errorf("problems %v", s.Problems)
	}
	// A truncated gzip stream is a fatal problem, not a hang.
	d = NewDecoder(bytes.NewReader(gz[:len(gz)/2]), "cut.gz")
	for d.Next(&rec) {
	}
	if d.Stats().Corrupt != 1 {
		t.Errorf("truncated gzip: %+v", d.Stats())
	}
}

func TestRandomLabel(t *testing.T) {
	for _, l := range []string{"authentication", "kubernetes", "elasticsearch", "production", "ip-10-0-1-23", "registry",
		"login", "microsoftonline", "googleapis", "cloudfront", "s3-eu-west-1", "akamaiedge", "_tcp", "xn--bcher-kva"} {
		if randomLabel([]byte(l)) {
			t.Errorf("%s judged random", l)
		}
	}
	for _, l := range []string{"mzxw6ytboi2dqnrvgq3tmmjrgy4dg", "qxkzvbnmwrtp", "a8f3k2m9x7q1", "q7x9k2m4z8w3"} {
		if !randomLabel([]byte(l)) {
			t.Errorf("%s not judged random", l)
		}
	}
}

func TestSearchPathExpansion(t *testing.T) {
	d := newDomains([]string{"cluster.local.", "in-addr.arpa."})
	for name, want := range map[string]bool{
		"api.stripe.com.shop.svc.cluster.local.": true,
		"api.stripe.com.svc.cluster.local.":      true,
		"google.com.svc.cluster.local.":          true,
		"api.stripe.com.cluster.local.":          true,
		"missing.payments.svc.cluster.local.":    false,
		"missing.shop.svc.cluster.local.":        true, // shop is a TLD: the documented blind spot
		"postgres.payments.svc.cluster.local.":   false,
		"4.3.244.10.in-addr.arpa.":               false,
	} {
		sfx := d.ignored([]byte(name))
		if sfx == "" {
			t.Fatalf("%s not ignored", name)
		}
		if got := d.searchPathExpansion([]byte(name), sfx); got != want {
			t.Errorf("%s: %v", name, got)
		}
	}
	reg, sub, ok := d.split([]byte("abc.t.pool-sync.example.net."))
	if !ok || string(reg) != "example.net." || string(sub) != "abc.t.pool-sync" {
		t.Errorf("split: %s %s %v", reg, sub, ok)
	}
	reg, sub, ok = d.split([]byte("www.example.co.uk."))
	if !ok || string(reg) != "example.co.uk." || string(sub) != "www" {
		t.Errorf("split: %s %s %v", reg, sub, ok)
	}
}

// dnsAnalyze runs the engine over a log.
func dnsAnalyze(t testing.TB, log []byte, opts Options) ([]finding.Finding, *Stats) {
	t.Helper()
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	d := NewDecoder(bytes.NewReader(log), "coredns.log")
	var rec Record
	for d.Next(&rec) {
		e.Observe(&rec)
	}
	e.Close()
	return e.Findings(), d.Stats()
}

// dnsDetected is the (client, rule) pairs findings name.
func dnsDetected(fs []finding.Finding) map[TruthKey]bool {
	out := map[TruthKey]bool{}
	for _, f := range fs {
		if len(f.Detection.Events) > 0 {
			out[TruthKey{f.Detection.Events[0].Client, f.Rule}] = true
		}
	}
	return out
}

func dnsPods(tr *Truth) *Pods {
	p := &Pods{}
	for _, gp := range tr.Pods {
		p.Add(gp.IP, finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: gp.Namespace, Name: gp.Name}, true)
	}
	return p
}

// Precision and recall per rule over several seeds of the default mix and
// every line format.
func TestGeneratedPrecisionRecall(t *testing.T) {
	type counts struct{ tp, fp, fn int }
	per := map[finding.RuleID]*counts{}
	for _, id := range checks.DNSRuleIDs {
		per[id] = &counts{}
	}
	formats := []string{"rfc3339", "cri", "docker", "rfc3339", "cri", "docker"}
	for seed := uint64(1); seed <= uint64(len(formats)); seed++ {
		var buf bytes.Buffer
		tr, err := Generate(&buf, GenerateOptions{Seed: seed, Format: formats[seed-1]})
		if err != nil {
			t.Fatal(err)
		}
		fs, st := dnsAnalyze(t, buf.Bytes(), Options{Pods: dnsPods(tr)})
		if st.Skipped() != 0 || st.Queries != int64(tr.Lines) {
			t.Fatalf("seed %d: %+v for %d lines", seed, *st, tr.Lines)
		}
		got := dnsDetected(fs)
		for k := range got {
			if tr.Anomalous[k] {
				per[k.Rule].tp++
			} else {
				per[k.Rule].fp++
				t.Logf("seed %d: false positive %v", seed, k)
			}
		}
		for k := range tr.Anomalous {
			if !got[k] {
				per[k.Rule].fn++
				t.Logf("seed %d: missed %v", seed, k)
			}
		}
		for _, f := range fs {
			if f.Object.Kind == "" || f.Message == "" || len(f.Detection.Events) == 0 || f.Detection.Events[0].Source == nil {
				t.Errorf("incomplete finding %+v", f)
			}
		}
	}
	var all counts
	for _, id := range checks.DNSRuleIDs {
		c := per[id]
		all.tp, all.fp, all.fn = all.tp+c.tp, all.fp+c.fp, all.fn+c.fn
		checkPR(t, string(id), c.tp, c.fp, c.fn)
	}
	checkPR(t, "overall", all.tp, all.fp, all.fn)
}

func checkPR(t *testing.T, what string, tp, fp, fn int) {
	t.Helper()
	p, r := float64(tp)/float64(max(tp+fp, 1)), float64(tp)/float64(max(tp+fn, 1))
	t.Logf("%-20s precision %.3f recall %.3f (tp %d fp %d fn %d)", what, p, r, tp, fp, fn)
	if p < 0.95 || r < 0.95 || tp == 0 {
		t.Errorf("%s: precision %.3f recall %.3f below 0.95", what, p, r)
	}
}

// labLog reproduces the shape of the lab's dns-miner scenario
// (pkg/lab/scenario_dns_miner.go): six ordinary pods at about two queries
// a second in total, and from minute 10 the miner 10.244.3.17 asking five
// times a second for TXT records of base32 labels under
// t.pool-sync.example.net., one in five answered NXDOMAIN.
func labLog(start time.Time) []byte {
	r := rand.New(rand.NewPCG(6, 6))
	clients := []string{"10.244.3.21", "10.244.1.5", "10.244.1.9", "10.244.2.4", "10.244.2.8", "10.244.1.12"}
	names := []string{"postgres.payments.svc.cluster.local.", "checkout.shop.svc.cluster.local.", "pricing.shop.svc.cluster.local.",
		"kubernetes.default.svc.cluster.local.", "api.stripe.com.", "registry.example.com.", "redis.shop.svc.cluster.local."}
	type line struct {
		t    time.Time
		text string
	}
	var lines []line
	add := func(t time.Time, ip, qtype, name, rcode string) {
		lines = append(lines, line{t, fmt.Sprintf("[INFO] %s:%d - %d \"%s IN %s udp %d false 512\" %s qr,rd,ra %d %.6fs",
			ip, 32768+r.IntN(28000), r.IntN(65536), qtype, name, 40+len(name), rcode, 100+len(name), 0.0001+r.Float64()*0.004)})
	}
	span := 30 * time.Minute
	for t := start; t.Before(start.Add(span)); t = t.Add(time.Duration(200+r.IntN(600)) * time.Millisecond) {
		add(t, clients[r.IntN(len(clients))], []string{"A", "AAAA"}[r.IntN(2)], names[r.IntN(len(names))], "NOERROR")
	}
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	for t := start.Add(10 * time.Minute); t.Before(start.Add(span)); t = t.Add(time.Duration(150+r.IntN(100)) * time.Millisecond) {
		label := make([]byte, 24+r.IntN(24))
		for i := range label {
			label[i] = alphabet[r.IntN(len(alphabet))]
		}
		rcode := "NOERROR"
		if r.IntN(5) == 0 {
			rcode = "NXDOMAIN"
		}
		add(t, "10.244.3.17", "TXT", string(label)+".t.pool-sync.example.net.", rcode)
	}
	slices.SortStableFunc(lines, func(a, b line) int { return a.t.Compare(b.t) })
	var b bytes.Buffer
	for _, l := range lines {
		fmt.Fprintf(&b, "%s %s\n", l.t.Format(time.RFC3339Nano), l.text)
	}
	return b.Bytes()
}

func TestLabMinerLog(t *testing.T) {
	pods := &Pods{}
	pods.Add("10.244.3.17", finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "dev", Name: "image-cache-6f9c7d5b8-x2kqp"}, true)
	pods.Add("10.244.3.21", finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "dev", Name: "web-frontend-5d8b9c7f6-abcde"}, true)
	fs, _ := dnsAnalyze(t, labLog(time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)), Options{Pods: pods})
	var random bool
	for _, f := range fs {
		t.Logf("%s %s: %s", f.Rule, f.Object, f.Message)
		if f.Object.Name != "image-cache-6f9c7d5b8-x2kqp" {
			t.Errorf("ordinary client reported: %s %s", f.Rule, f.Object)
		}
		if f.Rule == checks.RuleDNSRandomDomains {
			random = true
			ev := f.Detection.Events[0]
			if ev.Actor != "dev/image-cache-6f9c7d5b8-x2kqp" || ev.Client != "10.244.3.17" || !strings.HasPrefix(ev.Action, "TXT ") || ev.Source == nil || ev.Source.Line == 0 {
				t.Errorf("evidence %+v", ev)
			}
		}
	}
	if !random {
		t.Error("miner not reported as dns-random-domains")
	}
}

// Without any time, the random-domains verdict still comes (the file is one
// window) and the rate rules stay silent.
func TestUntimedLog(t *testing.T) {
	var buf bytes.Buffer
	tr, err := Generate(&buf, GenerateOptions{Seed: 3, Format: "plain", Anomalies: []Anomaly{{Kind: AnomalyTunnel}}})
	if err != nil {
		t.Fatal(err)
	}
	fs, st := dnsAnalyze(t, buf.Bytes(), Options{})
	if st.Untimed != int64(tr.Lines) {
		t.Errorf("untimed %d of %d", st.Untimed, tr.Lines)
	}
	if len(fs) != 1 || fs[0].Rule != checks.RuleDNSRandomDomains || !strings.Contains(fs[0].Message, "without a time") {
		t.Errorf("findings %v", fs)
	}
}

func TestUnknownRule(t *testing.T) {
	if _, err := New(Options{Rules: []finding.RuleID{"audit-exec-into-pod"}}); err == nil {
		t.Error("no error")
	}
}
