package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/detect/auditlog"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/report"
	"github.com/kharden/kharden/pkg/scan"
)

func newAuditCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Detect attacks and risky changes in the API server's audit events (log files or the audit webhook)",
	}
	cmd.AddCommand(newAuditAnalyzeCommand(stdin, stdout, stderr), newAuditServeCommand(stdout, stderr))
	return cmd
}

// auditAnalyzeFlags are the flags of `kharden audit analyze`.
type auditAnalyzeFlags struct {
	since, until string
	rules        []string
	output       string
	failOn       string
	configPath   string
}

func newAuditAnalyzeCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	f := &auditAnalyzeFlags{}
	cmd := &cobra.Command{
		Use:   "analyze FILE|DIR...|-",
		Short: "Run the audit detectors over audit.k8s.io/v1 event logs",
		Long: "Run the audit detectors over the API server's audit log: JSON lines as the log backend\n" +
			"writes them, gzip-compressed or not, or EventList documents (one per line or pretty-printed);\n" +
			"\"-\" reads stdin; a directory stands for the files in it. Rotated files may be given in any\n" +
			"order: they are read in the order of their first event. Rates are counted in windows of event time against each identity's and address's\n" +
			"own baseline; windows, thresholds, maintenance windows, trusted identities and break-glass\n" +
			"accounts are set in the detect section of .kharden.yaml (see docs/detection.md).\n\n" +
			"Records that cannot be used (truncated or non-JSON lines, unknown apiVersions, oversized events)\n" +
			"are counted, reported as warnings with file and line, and skipped. No request or response body\n" +
			"is ever printed.\n\n" +
			"Rules:\n" + ruleList(auditlog.Rules()) + "\n" +
			"Exit codes: 0 no finding at or above --fail-on; 1 findings at or above --fail-on;\n" +
			"2 usage errors or an input that cannot be read or breaks off (a corrupt gzip stream), after the\n" +
			"report of everything read is printed.",
		Example: "  kharden audit analyze /var/log/kubernetes/audit/audit.log\n" +
			"  kharden audit analyze audit-*.log.gz --since 24h --fail-on high -o json\n" +
			"  kubectl logs -n kube-system kube-apiserver-cp1 | kharden audit analyze -",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAuditAnalyze(f, args, stdin, stdout, stderr, time.Now())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.since, "since", "", "only events at or after this time: RFC 3339, or a duration before now (24h)")
	fl.StringVar(&f.until, "until", "", "only events before this time: RFC 3339, or a duration before now")
	fl.StringSliceVar(&f.rules, "rules", nil, "run only these rules (comma-separated ids)")
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table, json, sarif, junit, markdown")
	fl.StringVar(&f.failOn, "fail-on", "", "exit 1 when an unsuppressed finding is at or above this severity (info, low, medium, high, critical)")
	fl.StringVar(&f.configPath, "config", "", "configuration file (default: .kharden.yaml found upward from the current directory)")
	return cmd
}

// ruleList lists rules for a help text.
func ruleList(rules []*checks.Check) string {
	var b strings.Builder
	for _, c := range rules {
		fmt.Fprintf(&b, "  %-36s %-9s %s\n", c.ID, c.Severity, c.Summary)
	}
	return b.String()
}

// parseWhen reads --since/--until: an RFC 3339 time or a duration before now.
func parseWhen(flag, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, usageError("--%s %q: want an RFC 3339 time (2026-11-25T10:00:00Z) or a duration (24h)", flag, s)
}

// parseSeverityFlag reads --fail-on; nil when unset.
func parseSeverityFlag(s string) (*finding.Severity, error) {
	if s == "" {
		return nil, nil
	}
	sev, err := finding.ParseSeverity(s)
	if err != nil {
		return nil, usageError("--fail-on: %v", err)
	}
	return &sev, nil
}

func runAuditAnalyze(f *auditAnalyzeFlags, paths []string, stdin io.Reader, stdout, stderr io.Writer, now time.Time) error {
	format, err := report.ParseFormat(f.output)
	if err != nil {
		return usageError("%v", err)
	}
	failOn, err := parseSeverityFlag(f.failOn)
	if err != nil {
		return err
	}
	opts := auditlog.Options{}
	if opts.Since, err = parseWhen("since", f.since, now); err != nil {
		return err
	}
	if opts.Until, err = parseWhen("until", f.until, now); err != nil {
		return err
	}
	for _, r := range f.rules {
		opts.Rules = append(opts.Rules, finding.RuleID(strings.TrimSpace(r)))
	}
	if opts.Config, err = loadConfig(f.configPath, "."); err != nil {
		return usageError("%v", err)
	}
	res, err := auditlog.Analyze(paths, stdin, opts)
	if err != nil {
		return usageError("%v", err)
	}
	scan.Finish(res.Findings, opts.Config, now)
	var diags []inventory.Diagnostic
	for _, p := range res.Decode.Problems {
		diags = append(diags, inventory.Diagnostic{File: p.Source.File, Line: p.Source.Line, Message: p.Message, Warning: true})
	}
	for _, e := range res.Errors {
		diags = append(diags, inventory.Diagnostic{File: "", Message: e.Error()})
	}
	rep := scan.AnalysisReport(report.Tool{Name: "kharden", Version: Version, InformationURI: "https://github.com/kharden/kharden"},
		paths, int(res.Decode.Events), auditlog.Rules(), res.Findings, diags, false)
	color := isTerminal(stdout) && os.Getenv("NO_COLOR") == ""
	if err := report.Render(stdout, format, rep, report.Options{Color: color, Width: terminalWidth(stdout)}); err != nil {
		return fmt.Errorf("rendering report: %w", err)
	}
	fmt.Fprintln(stderr, auditSummary(res))
	for _, e := range res.Errors {
		fmt.Fprintln(stderr, "Error:", e)
	}
	if len(res.Errors) > 0 {
		return &exitError{code: ExitUsage, err: fmt.Errorf("%d input error(s)", len(res.Errors))}
	}
	if failOn != nil && res.Exceeds(*failOn) {
		return &exitError{code: ExitFindings}
	}
	return nil
}

// auditSummary is the one-line account of what was read.
func auditSummary(res *auditlog.Result) string {
	d, e := res.Decode, res.Engine
	s := fmt.Sprintf("audit: %d events from %d input(s), %d analysed", d.Events, len(res.Inputs), e.Observed)
	if !e.First.IsZero() {
		s += fmt.Sprintf(" (%s to %s)", e.First.UTC().Format(time.RFC3339), e.Last.UTC().Format(time.RFC3339))
	}
	var skipped []string
	for _, c := range []struct {
		n    int64
		what string
	}{{d.Malformed, "malformed"}, {d.UnknownVersion, "unknown apiVersion"}, {d.NotEvent, "not an audit event"},
		{d.Oversized, "oversized"}, {d.NoTimestamp, "without a timestamp (analysed)"}, {e.OutsideRange, "outside --since/--until"},
		{e.Late, "late (analysed, not counted in rates)"}} {
		if c.n > 0 {
			skipped = append(skipped, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	if len(skipped) > 0 {
		s += "; " + strings.Join(skipped, ", ")
	}
	return s
}
