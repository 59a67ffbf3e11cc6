package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/pkg/access"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/report"
	"github.com/kharden/kharden/pkg/scan"
)

// rbacRisksFlags are the flags of `kharden rbac risks`.
type rbacRisksFlags struct {
	output         string
	failOn         string
	configPath     string
	baseline       string
	showSuppressed bool
	allowEmpty     bool
	noColor        bool
	inputFlags
}

func newRBACRisksCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	f := &rbacRisksFlags{}
	cmd := &cobra.Command{
		Use:   "risks [PATH...]",
		Short: "Report the risky RBAC bindings: the catalogue's rbac- rules only",
		Long: "Run the RBAC rules of the catalogue (those whose id starts with rbac-; see `kharden rules`) on\n" +
			"files or a live cluster, every other rule turned off. Severity overrides, exceptions and\n" +
			"baselines of .kharden.yaml apply as for `kharden scan`, and so do the output formats. Problems\n" +
			"of the RBAC objects themselves (a roleRef to a role that does not exist, a malformed rule, an\n" +
			"unknown subject kind) are printed as warnings.\n\n" +
			"Exit codes: 0 no finding at or above --fail-on; 1 findings at or above --fail-on;\n" +
			"2 usage or input errors.",
		Example: "  kharden rbac risks deploy/\n" +
			"  kharden rbac risks --cluster -o sarif --fail-on high > rbac.sarif",
		RunE: func(cmd *cobra.Command, args []string) error {
			paths := append(append([]string{}, args...), f.files...)
			return runRBACRisks(cmd.Context(), f, f.useCluster(cmd, paths), paths, stdin, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table, json, sarif, junit, markdown")
	fl.StringVar(&f.failOn, "fail-on", "", "exit 1 when an unsuppressed finding is at or above this severity (info, low, medium, high, critical)")
	fl.StringVar(&f.configPath, "config", "", "configuration file (default: .kharden.yaml found upward from the first path)")
	fl.StringVar(&f.baseline, "baseline", "", "baseline file: findings it lists do not fail the run")
	fl.BoolVar(&f.showSuppressed, "show-suppressed", false, "list suppressed findings too (they are always counted)")
	fl.BoolVar(&f.allowEmpty, "allow-empty", false, "do not fail when no Kubernetes object is found")
	fl.BoolVar(&f.noColor, "no-color", false, "never colour the table")
	f.inputFlags.addFlags(fl, "")
	return cmd
}

func runRBACRisks(ctx context.Context, f *rbacRisksFlags, cluster bool, paths []string, stdin io.Reader, stdout, stderr io.Writer) error {
	format, err := report.ParseFormat(f.output)
	if err != nil {
		return usageError("%v", err)
	}
	failOn, err := rbacParseFailOn(f.failOn)
	if err != nil {
		return err
	}
	configFrom := "."
	if len(paths) > 0 {
		configFrom = paths[0]
	}
	cfg, err := loadConfig(f.configPath, configFrom)
	if err != nil {
		return usageError("%v", err)
	}
	in, err := f.load(ctx, cluster, paths, access.RBACKinds(), false, stdin, stderr)
	if err != nil {
		return err
	}
	res, err := access.RBACRisks(in.inv, scan.Options{Config: cfg, Baseline: f.baseline, AllowEmpty: f.allowEmpty})
	if err != nil {
		return usageError("%v", err)
	}
	color := !f.noColor && isTerminal(stdout) && os.Getenv("NO_COLOR") == ""
	rep := scan.Report(res, report.Tool{Name: "kharden", Version: Version, InformationURI: "https://github.com/kharden/kharden"}, in.inputs, f.showSuppressed)
	if err := report.Render(stdout, format, rep, report.Options{Color: color, Width: terminalWidth(stdout)}); err != nil {
		return fmt.Errorf("rendering report: %w", err)
	}
	if format != report.FormatTable {
		for _, d := range res.Diagnostics {
			if d.Warning {
				fmt.Fprintln(stderr, "Warning:", safeLine(d.String()))
			}
		}
	}
	if errs := res.InputErrors(); len(errs) > 0 {
		for _, d := range errs {
			fmt.Fprintln(stderr, "Error:", safeLine(d.String()))
		}
		return &exitError{code: ExitUsage, err: fmt.Errorf("%d input error(s)", len(errs))}
	}
	if len(res.Inventory.Objects) == 0 && !f.allowEmpty {
		return usageError("no Kubernetes objects found in %s (use --allow-empty if that is expected)", strings.Join(in.inputs, ", "))
	}
	if failOn != nil && res.Exceeds(*failOn) {
		return &exitError{code: ExitFindings}
	}
	return nil
}

// rbacParseFailOn reads --fail-on; empty means never fail on findings.
func rbacParseFailOn(s string) (*finding.Severity, error) {
	if s == "" {
		return nil, nil
	}
	sev, err := finding.ParseSeverity(s)
	if err != nil {
		return nil, usageError("--fail-on: %v", err)
	}
	return &sev, nil
}
