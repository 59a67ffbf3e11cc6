package dns

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// GenerateOptions shape a generated CoreDNS log.
type GenerateOptions struct {
	Seed  uint64
	Start time.Time     // default 2026-11-25T02:00:00Z
	Span  time.Duration // default 30m
	// Clients is the number of ordinary pods (default 60); each asks about
	// PerMinute queries a minute on average (default 30).
	Clients   int
	PerMinute int
	// Anomalies injected after the warm-up; default DefaultMix.
	Anomalies []Anomaly
	// Format of the lines: "rfc3339" (kubectl logs --timestamps, the
	// default), "cri", "docker" or "plain" (no time).
	Format string
}

// AnomalyKind names a kind of injected misbehaviour.
type AnomalyKind string

// Kinds of anomalies and the rules each must trigger.
const (
	AnomalyDGA       AnomalyKind = "dga"       // random registered domains, mostly NXDOMAIN
	AnomalyTunnel    AnomalyKind = "tunnel"    // TXT queries for random labels under one domain
	AnomalyExfil     AnomalyKind = "exfil"     // A queries for many random subdomains of one domain
	AnomalyFlood     AnomalyKind = "flood"     // a burst of ordinary queries
	AnomalyNXDomains AnomalyKind = "nxdomains" // a scan of service names that do not exist
)

// Anomaly is one misbehaving client.
type Anomaly struct {
	Kind AnomalyKind
	// Start after the log's start (default 12m) and Length (default 5m).
	Start, Length time.Duration
}

// DefaultMix is one anomaly of each kind, some of them twice.
var DefaultMix = []Anomaly{
	{Kind: AnomalyDGA}, {Kind: AnomalyTunnel}, {Kind: AnomalyExfil}, {Kind: AnomalyFlood},
	{Kind: AnomalyNXDomains}, {Kind: AnomalyTunnel, Start: 20 * time.Minute}, {Kind: AnomalyFlood, Start: 18 * time.Minute},
}

// rulesOf are the rules an anomaly must trigger.
var rulesOf = map[AnomalyKind][]finding.RuleID{
	AnomalyDGA:       {checks.RuleDNSRandomDomains, checks.RuleDNSNXDomainBurst},
	AnomalyTunnel:    {checks.RuleDNSRandomDomains},
	AnomalyExfil:     {checks.RuleDNSRandomDomains},
	AnomalyFlood:     {checks.RuleDNSQuerySpike},
	AnomalyNXDomains: {checks.RuleDNSNXDomainBurst},
}

// GeneratedPod is a client of the generated log and the pod holding it.
type GeneratedPod struct {
	IP, Namespace, Name string
}

// Truth is what a generated log holds.
type Truth struct {
	// Anomalous are the (client, rule) pairs that must be reported.
	Anomalous map[TruthKey]bool
	Pods      []GeneratedPod
	Lines     int
}

// TruthKey is one client and one rule.
type TruthKey struct {
	Client string
	Rule   finding.RuleID
}

var (
	genNamespaces = []string{"shop", "payments", "dev", "search", "monitoring", "data"}
	genServices   = []string{"postgres", "redis", "checkout", "pricing", "catalog", "kafka", "auth", "api", "web", "elasticsearch"}
	genExternal   = []string{"api.stripe.com.", "registry.example.com.", "sts.amazonaws.com.", "s3.eu-west-1.amazonaws.com.",
		"oauth2.googleapis.com.", "api.github.com.", "hooks.slack.com.", "login.microsoftonline.com."}
)

// Generate writes a CoreDNS log to w and returns what it holds.
func Generate(w io.Writer, o GenerateOptions) (*Truth, error) {
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	}
	if o.Span <= 0 {
		o.Span = 30 * time.Minute
	}
	if o.Clients <= 0 {
		o.Clients = 60
	}
	if o.PerMinute <= 0 {
		o.PerMinute = 30
	}
	if o.Anomalies == nil {
		o.Anomalies = DefaultMix
	}
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	g := &gen{r: r, format: o.Format}
	tr := &Truth{Anomalous: map[TruthKey]bool{}}
	end := o.Start.Add(o.Span)
	// Ordinary pods, each with its own rate and habits.
	for i := range o.Clients {
		ns := genNamespaces[i%len(genNamespaces)]
		p := GeneratedPod{IP: fmt.Sprintf("10.244.%d.%d", 1+i/200, 2+i%200), Namespace: ns, Name: fmt.Sprintf("%s-%d-%s", genServices[i%len(genServices)], i, g.hex(5))}
		tr.Pods = append(tr.Pods, p)
		rate := float64(o.PerMinute) * (0.3 + 1.4*r.Float64())
		mean := time.Duration(float64(time.Minute) / rate)
		for t := o.Start.Add(time.Duration(r.Int64N(int64(mean)))); t.Before(end); t = t.Add(time.Duration(r.ExpFloat64() * float64(mean))) {
			g.ordinary(t, p.IP, ns)
		}
	}
	// Anomalies, each from a client of its own; half of them have pods.
	for i, a := range o.Anomalies {
		if a.Start <= 0 {
			a.Start = 12 * time.Minute
		}
		if a.Length <= 0 {
			a.Length = 5 * time.Minute
		}
		ip := fmt.Sprintf("10.245.%d.%d", i/200, 10+i%200)
		if i%2 == 0 {
			tr.Pods = append(tr.Pods, GeneratedPod{IP: ip, Namespace: "dev", Name: fmt.Sprintf("worker-%d-%s", i, g.hex(5))})
		} else {
			// A client with a little ordinary history first.
			for t := o.Start.Add(time.Minute); t.Before(o.Start.Add(a.Start)); t = t.Add(time.Duration(2+r.IntN(4)) * time.Second) {
				g.ordinary(t, ip, "dev")
			}
		}
		for _, rule := range rulesOf[a.Kind] {
			tr.Anomalous[TruthKey{ip, rule}] = true
		}
		g.anomaly(a, o.Start.Add(a.Start), ip)
	}
	slices.SortStableFunc(g.lines, func(a, b genLine) int { return a.t.Compare(b.t) })
	bw := bufio.NewWriterSize(w, 256<<10)
	for _, l := range g.lines {
		g.write(bw, l)
	}
	tr.Lines = len(g.lines)
	return tr, bw.Flush()
}

type genLine struct {
	t                      time.Time
	ip, qtype, name, rcode string
	id, port               uint16
}

type gen struct {
	r      *rand.Rand
	format string
	lines  []genLine
}

func (g *gen) add(t time.Time, ip, qtype, name, rcode string) {
	g.lines = append(g.lines, genLine{t: t, ip: ip, qtype: qtype, name: name, rcode: rcode,
		id: uint16(g.r.IntN(65536)), port: uint16(32768 + g.r.IntN(28000))})
}

const hexDigits = "0123456789abcdef"

func (g *gen) hex(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = hexDigits[g.r.IntN(16)]
	}
	return string(b)
}

func (g *gen) label(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

// ordinary is one lookup of an ordinary pod: a service (by short name,
// with the search path), an external API (search-path tries answered
// NXDOMAIN first), now and then a hashed CDN name or a reverse lookup.
func (g *gen) ordinary(t time.Time, ip, ns string) {
	qtype := []string{"A", "AAAA"}[g.r.IntN(2)]
	switch n := g.r.IntN(100); {
	case n < 60:
		svcNS := ns
		if g.r.IntN(3) == 0 {
			svcNS = genNamespaces[g.r.IntN(len(genNamespaces))]
		}
		g.add(t, ip, qtype, genServices[g.r.IntN(len(genServices))]+"."+svcNS+".svc.cluster.local.", "NOERROR")
	case n < 92:
		ext := genExternal[g.r.IntN(len(genExternal))]
		step := 300 * time.Microsecond
		for i, sfx := range []string{ns + ".svc.cluster.local.", "svc.cluster.local.", "cluster.local."} {
			g.add(t.Add(time.Duration(i)*step), ip, qtype, ext+sfx, "NXDOMAIN")
		}
		g.add(t.Add(3*step), ip, qtype, ext, "NOERROR")
	case n < 96:
		cdn := []string{"d" + g.hex(7) + ".cloudfront.net.", g.hex(12) + ".cdn.example-static.com.", "e" + g.hex(6) + ".a.akamaiedge.net."}
		g.add(t, ip, qtype, cdn[g.r.IntN(len(cdn))], "NOERROR")
	case n < 98:
		g.add(t, ip, "PTR", fmt.Sprintf("%d.%d.244.10.in-addr.arpa.", g.r.IntN(250), g.r.IntN(4)), "NXDOMAIN")
	default:
		// A missing service now and then.
		g.add(t, ip, qtype, "legacy-"+genServices[g.r.IntN(len(genServices))]+"."+ns+".svc.cluster.local.", "NXDOMAIN")
	}
}

const base32Alphabet = "abcdefghijklmnopqrstuvwxyz234567"

func (g *gen) anomaly(a Anomaly, start time.Time, ip string) {
	end := start.Add(a.Length)
	every := func(perMinute int, f func(t time.Time)) {
		mean := float64(time.Minute) / float64(perMinute)
		for t := start; t.Before(end); t = t.Add(time.Duration(mean * (0.5 + g.r.Float64()))) {
			f(t)
		}
	}
	switch a.Kind {
	case AnomalyDGA:
		tlds := []string{"com.", "net.", "org.", "info.", "biz."}
		every(120, func(t time.Time) {
			rcode := "NXDOMAIN"
			if g.r.IntN(20) == 0 {
				rcode = "NOERROR"
			}
			g.add(t, ip, "A", g.label("abcdefghijklmnopqrstuvwxyz", 10+g.r.IntN(10))+"."+tlds[g.r.IntN(len(tlds))], rcode)
		})
	case AnomalyTunnel:
		domain := "t." + g.label("abcdefghijklmnopqrstuvwxyz", 6) + "-sync.example.net."
		every(240, func(t time.Time) {
			rcode := "NOERROR"
			if g.r.IntN(25) == 0 {
				rcode = "NXDOMAIN"
			}
			g.add(t, ip, "TXT", g.label(base32Alphabet, 24+g.r.IntN(24))+"."+domain, rcode)
		})
	case AnomalyExfil:
		domain := "x" + g.label("abcdefghijklmnopqrstuvwxyz", 5) + ".io."
		every(150, func(t time.Time) {
			g.add(t, ip, "A", g.hex(30)+"."+g.hex(20)+"."+domain, "NOERROR")
		})
	case AnomalyFlood:
		every(3000, func(t time.Time) {
			g.add(t, ip, "A", genServices[g.r.IntN(len(genServices))]+".shop.svc.cluster.local.", "NOERROR")
		})
	case AnomalyNXDomains:
		every(200, func(t time.Time) {
			name := genServices[g.r.IntN(len(genServices))] + "-" + fmt.Sprint(g.r.IntN(50)) + "." + genNamespaces[g.r.IntN(len(genNamespaces))] + ".svc.cluster.local."
			g.add(t, ip, "A", name, "NXDOMAIN")
		})
	}
}

func (g *gen) write(w *bufio.Writer, l genLine) {
	flags := "qr,rd,ra"
	if strings.HasSuffix(l.name, "cluster.local.") {
		flags = "qr,aa,rd"
	}
	msg := fmt.Sprintf("[INFO] %s:%d - %d \"%s IN %s udp %d false 512\" %s %s %d %.6fs",
		l.ip, l.port, l.id, l.qtype, l.name, 40+len(l.name), l.rcode, flags, 100+len(l.name), 0.0001+float64(l.id%4000)/1e6)
	ts := l.t.Format(time.RFC3339Nano)
	switch g.format {
	case "cri":
		fmt.Fprintf(w, "%s stdout F %s\n", ts, msg)
	case "docker":
		fmt.Fprintf(w, "{\"log\":%q,\"stream\":\"stdout\",\"time\":\"%s\"}\n", msg+"\n", ts)
	case "plain":
		fmt.Fprintln(w, msg)
	default:
		fmt.Fprintf(w, "%s %s\n", ts, msg)
	}
}
