package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/detect/dns"
	"github.com/kharden/kharden/pkg/detect/logfiles"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/report"
	"github.com/kharden/kharden/pkg/scan"
)

func newDNSCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dns",
		Short: "Find compromised pods in CoreDNS query logs",
	}
	cmd.AddCommand(newDNSAnalyzeCommand(stdin, stdout, stderr))
	return cmd
}

// dnsAnalyzeFlags are the flags of `kharden dns analyze`.
type dnsAnalyzeFlags struct {
	since, until, output, failOn, configPath string
	inputFlags
}

func newDNSAnalyzeCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	f := &dnsAnalyzeFlags{}
	cmd := &cobra.Command{
		Use:   "analyze FILE|DIR...|-",
		Short: "Analyse CoreDNS log plugin lines for query spikes, random-looking names and NXDOMAIN bursts",
		Long: "Read CoreDNS `log` plugin lines (common or combined format, with or without [INFO], as printed\n" +
			"by kubectl logs --timestamps, CRI log files or Docker JSON log files; plain or gzip; - for stdin;\n" +
			"a directory for the files in it, read in the order of their first timed line)\n" +
			"and report clients that flood the resolver, ask for random-looking names (tunnelling, beacons,\n" +
			"domain generation algorithms) or receive bursts of NXDOMAIN answers. Rates need times: a line\n" +
			"without one takes the time of the previous timed line of its file; lines before any timed line\n" +
			"are judged by dns-random-domains as one window and not counted by the rate rules (a warning\n" +
			"says so). Thresholds are the detect section of .kharden.yaml.\n\n" +
			"Give the pods with -f (manifests holding Pods with status.podIP) or --cluster (only Pods and\n" +
			"Namespaces are read) to name the pod behind each client address.\n\n" +
			"Rules:\n" + ruleList(dns.Rules()) + "\n" +
			"Statistics (lines, queries, lines skipped by reason) are printed on stderr.\n" +
			"Exit codes: 0 no finding at or above --fail-on; 1 findings at or above --fail-on;\n" +
			"2 usage errors or an input that could not be read, after the report is printed.",
		Example: "  kubectl -n kube-system logs deploy/coredns --timestamps | kharden dns analyze -\n" +
			"  kharden dns analyze coredns.log.gz --cluster --fail-on high\n" +
			"  kharden dns analyze /var/log/pods/kube-system_coredns-*/coredns/*.log -f pods.yaml -o sarif",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cluster := f.cluster || f.clusterFlags.explicit(cmd.Flags())
			return runDNSAnalyze(cmd.Context(), f, args, cluster, stdin, stdout, stderr, time.Now())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.since, "since", "", "analyse queries at or after this time (RFC 3339, or a duration before now such as 2h)")
	fl.StringVar(&f.until, "until", "", "analyse queries before this time (RFC 3339, or a duration before now)")
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table, json, sarif, junit, markdown")
	fl.StringVar(&f.failOn, "fail-on", "", "exit 1 when an unsuppressed finding is at or above this severity (info, low, medium, high, critical)")
	fl.StringVar(&f.configPath, "config", "", "configuration file (default: .kharden.yaml found upward from the current directory)")
	f.inputFlags.addFlags(fl, "")
	fl.Lookup("filename").Usage = "manifests holding the Pods (and their status.podIP) that map client addresses to pods (repeatable)"
	fl.Lookup("cluster").Usage = "read the Pods of the live cluster of the kubeconfig to map client addresses to pods"
	return cmd
}

// dnsPodKinds are what --cluster reads.
var dnsPodKinds = []schema.GroupKind{{Kind: "Pod"}, {Kind: "Namespace"}}

func runDNSAnalyze(ctx context.Context, f *dnsAnalyzeFlags, paths []string, cluster bool, stdin io.Reader, stdout, stderr io.Writer, now time.Time) error {
	format, err := report.ParseFormat(f.output)
	if err != nil {
		return usageError("%v", err)
	}
	failOn, err := parseSeverityFlag(f.failOn)
	if err != nil {
		return err
	}
	since, err := parseWhen("since", f.since, now)
	if err != nil {
		return err
	}
	until, err := parseWhen("until", f.until, now)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(f.configPath, ".")
	if err != nil {
		return usageError("%v", err)
	}
	var diags []inventory.Diagnostic
	var pods *dns.Pods
	if cluster || len(f.files) > 0 {
		in, err := f.load(ctx, cluster, f.files, dnsPodKinds, false, stdin, stderr)
		if err != nil {
			return err
		}
		pods = dns.PodsFrom(in.inv)
		diags = append(diags, in.inv.Diagnostics...)
	}
	e, err := dns.New(dns.Options{Config: cfg, Since: since, Until: until, Pods: pods})
	if err != nil {
		return usageError("%v", err)
	}
	var stats dns.Stats
	files, errs := logfiles.Expand(paths)
	for _, err := range errs {
		stats.Add(&dns.Stats{Problems: []dns.Problem{{Source: finding.Source{File: err.Path}, Message: err.Err.Error(), Fatal: true}}})
	}
	for _, p := range logfiles.OrderByFirst(files, dns.FirstRecordTime) {
		stats.Add(dnsRead(p, stdin, e))
	}
	e.Close()
	fs := e.Findings()
	review := dnsReview(cfg, fs, now)
	diags = append(diags, dnsDiagnostics(&stats)...)
	rep := scan.AnalysisReport(report.Tool{Name: "kharden", Version: Version, InformationURI: "https://github.com/kharden/kharden"},
		paths, int(stats.Queries), review.rules, review.findings, diags, false)
	color := isTerminal(stdout) && os.Getenv("NO_COLOR") == ""
	if err := report.Render(stdout, format, rep, report.Options{Color: color, Width: terminalWidth(stdout)}); err != nil {
		return fmt.Errorf("rendering report: %w", err)
	}
	es := e.Stats()
	fmt.Fprintf(stderr, "dns: %d lines, %d queries (%d outside --since/--until), %d clients (%d mapped to pods); skipped: %d other CoreDNS output, %d malformed, %d partial, %d oversized; %d without a time of their own took the previous line's, %d had none\n",
		stats.Lines, stats.Queries, es.OutsideRange, es.Clients, pods.Len(), stats.Other, stats.Malformed, stats.Partial, stats.Oversized, stats.Inherited, stats.Untimed)
	var fatal int
	for _, d := range diags {
		label := "Warning:"
		if !d.Warning {
			label = "Error:"
			fatal++
		}
		fmt.Fprintln(stderr, label, safeLine(d.String()))
	}
	if fatal > 0 {
		return &exitError{code: ExitUsage, err: fmt.Errorf("%d input error(s): the analysis may be incomplete", fatal)}
	}
	if failOn != nil && finding.Exceeds(review.findings, *failOn) {
		return &exitError{code: ExitFindings}
	}
	return nil
}

// dnsRead feeds one input to the engine; an input that cannot be opened
// is a fatal problem of its own.
func dnsRead(path string, stdin io.Reader, e *dns.Engine) *dns.Stats {
	var r io.Reader
	name := path
	if path == "-" {
		r, name = stdin, "(stdin)"
	} else {
		fh, err := os.Open(path)
		if err != nil {
			// The diagnostic names the file: say only what went wrong.
			msg := err.Error()
			var pe *os.PathError
			if errors.As(err, &pe) {
				msg = "cannot open: " + pe.Err.Error()
			}
			return &dns.Stats{Corrupt: 1, Problems: []dns.Problem{{Source: finding.Source{File: path}, Message: msg, Fatal: true}}}
		}
		defer fh.Close()
		r = fh
	}
	d := dns.NewDecoder(r, name)
	var rec dns.Record
	for d.Next(&rec) {
		e.Observe(&rec)
	}
	return d.Stats()
}

// dnsDiagnostics turns the decoders' problems into report diagnostics:
// skipped lines are warnings, unreadable inputs errors.
func dnsDiagnostics(s *dns.Stats) []inventory.Diagnostic {
	var out []inventory.Diagnostic
	for _, p := range s.Problems {
		out = append(out, inventory.Diagnostic{File: p.Source.File, Line: p.Source.Line, Message: p.Message, Warning: !p.Fatal})
	}
	if s.Untimed > 0 {
		out = append(out, inventory.Diagnostic{File: "(input)", Warning: true, Message: fmt.Sprintf(
			"%d queries came before any timed line: dns-query-spike and dns-nxdomain-burst need timestamps and did not count them; dns-random-domains judged them as one window", s.Untimed)})
	}
	return out
}

// dnsReviewed is the findings and rules under the configuration.
type dnsReviewed struct {
	rules    []*checks.Check
	findings []finding.Finding
}

func dnsReview(cfg *config.Config, fs []finding.Finding, now time.Time) dnsReviewed {
	var r dnsReviewed
	for _, c := range dns.Rules() {
		if cfg.RuleEnabled(c.ID, !c.Disabled) {
			cc := *c
			cc.Severity = cfg.SeverityFor(c.ID, c.Severity)
			r.rules = append(r.rules, &cc)
		}
	}
	r.findings = fs
	scan.Finish(r.findings, cfg, now)
	return r
}
