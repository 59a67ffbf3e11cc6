package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/report"
	"github.com/kharden/kharden/pkg/scan"
)

// scanFlags are the flags of `kharden scan`.
type scanFlags struct {
	files          []string
	output         string
	outputFile     string
	failOn         string
	configPath     string
	values         []string
	set            []string
	setString      []string
	namespace      string
	releaseName    string
	kubeVersion    string
	apiVersions    []string
	pssVersion     string
	showSuppressed bool
	baseline       string
	writeBaseline  string
	allowEmpty     bool
	noColor        bool
	clusterFlags
}

func newScanCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	f := &scanFlags{}
	cmd := &cobra.Command{
		Use:   "scan [PATH...]",
		Short: "Scan manifests, Helm charts, Kustomize directories and live clusters",
		Long: "Scan files and directories (recursively: .yaml, .yml, .json), stdin (-), Helm charts (directories\n" +
			"with Chart.yaml, or packaged .tgz) and Kustomize directories, and report findings.\n\n" +
			"With --cluster (the default when no path is given and a kubeconfig is present: $KUBECONFIG,\n" +
			"~/.kube/config, or in a pod) the live cluster is scanned instead, with the same rules: every\n" +
			"resource the credentials may list (Secrets as metadata only, never their values), in every\n" +
			"namespace unless -n restricts it to one. Resources the credentials may not list are noted as\n" +
			"not visible. -n means the namespace to scan with --cluster, and the namespace for objects\n" +
			"without one (and for Helm releases) when scanning files.\n\n" +
			"Exit codes: 0 no finding at or above --fail-on; 1 findings at or above --fail-on;\n" +
			"2 usage or input errors (a file that does not parse, no objects found, a cluster that cannot\n" +
			"be reached, a partial cluster result).",
		Example: "  kharden scan examples/\n" +
			"  kharden scan -f deploy/ -o sarif --fail-on high > kharden.sarif\n" +
			"  helm template my-chart | kharden scan -\n" +
			"  kharden scan charts/app --values prod.yaml --set image.tag=1.2.3 -n prod\n" +
			"  kharden scan --cluster --context prod -o sarif\n" +
			"  kharden scan --cluster -n payments --request-timeout 10s",
		RunE: func(cmd *cobra.Command, args []string) error {
			f.cluster = f.cluster || (len(args) == 0 && len(f.files) == 0 && (f.clusterFlags.explicit(cmd.Flags()) || kubeconfigPresent()))
			return runScan(cmd.Context(), f, args, stdin, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.files, "filename", "f", nil, "file, directory, chart or kustomization to scan (repeatable; - for stdin)")
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table, json, sarif, junit, markdown")
	fl.StringVar(&f.outputFile, "output-file", "", "write the report to this file instead of stdout")
	fl.StringVar(&f.failOn, "fail-on", "", "exit 1 when an unsuppressed finding is at or above this severity (info, low, medium, high, critical)")
	fl.StringVar(&f.configPath, "config", "", "configuration file (default: .kharden.yaml found upward from the first path)")
	fl.StringArrayVar(&f.values, "values", nil, "Helm values file (repeatable)")
	fl.StringArrayVar(&f.set, "set", nil, "Helm value key=value (repeatable)")
	fl.StringArrayVar(&f.setString, "set-string", nil, "Helm string value key=value (repeatable)")
	fl.StringVarP(&f.namespace, "namespace", "n", "", "files: namespace for objects without one, and for Helm releases; --cluster: the only namespace scanned")
	fl.StringVar(&f.releaseName, "release-name", "", "Helm release name (default release-name)")
	fl.StringVar(&f.kubeVersion, "kube-version", "", "Kubernetes version Helm charts are rendered for")
	fl.StringArrayVar(&f.apiVersions, "api-versions", nil, "API versions available to Helm charts (repeatable)")
	fl.StringVar(&f.pssVersion, "pss-version", "", "Pod Security Standards version: latest or v1.N (default from config, else latest)")
	fl.BoolVar(&f.showSuppressed, "show-suppressed", false, "list suppressed findings too (they are always counted)")
	fl.StringVar(&f.baseline, "baseline", "", "baseline file: findings it lists do not fail the run")
	fl.StringVar(&f.writeBaseline, "write-baseline", "", "write every current finding to this baseline file")
	fl.BoolVar(&f.allowEmpty, "allow-empty", false, "do not fail when no Kubernetes object is found")
	fl.BoolVar(&f.noColor, "no-color", false, "never colour the table")
	f.clusterFlags.addFlags(fl)
	return cmd
}

func runScan(ctx context.Context, f *scanFlags, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	paths := append(append([]string{}, args...), f.files...)
	if f.cluster && len(paths) > 0 {
		return usageError("--cluster scans the live cluster: give no paths with it")
	}
	if len(paths) == 0 && !f.cluster {
		return usageError("no input: give files or directories to scan (or - for stdin), or --cluster with a kubeconfig")
	}
	format, err := report.ParseFormat(f.output)
	if err != nil {
		return usageError("%v", err)
	}
	var failOn *finding.Severity
	if f.failOn != "" {
		s, err := finding.ParseSeverity(f.failOn)
		if err != nil {
			return usageError("--fail-on: %v", err)
		}
		failOn = &s
	}
	configFrom := "."
	if len(paths) > 0 {
		configFrom = paths[0]
	}
	cfg, err := loadConfig(f.configPath, configFrom)
	if err != nil {
		return usageError("%v", err)
	}
	if f.pssVersion != "" {
		cfg.PSSVersion = f.pssVersion
	}
	opts := scan.Options{
		Config:     cfg,
		Baseline:   f.baseline,
		AllowEmpty: f.allowEmpty,
		Load: inventory.LoadOptions{
			Paths: paths, Stdin: stdin, DefaultNamespace: f.namespace,
			Helm: inventory.HelmOptions{ValuesFiles: f.values, Set: f.set, SetString: f.setString,
				ReleaseName: f.releaseName, Namespace: f.namespace, KubeVersion: f.kubeVersion, APIVersions: f.apiVersions},
		},
	}
	var res *scan.Result
	if f.cluster {
		target, err := f.clusterFlags.resolve(f.namespace)
		if err != nil {
			return usageError("%v", err)
		}
		inv, err := loadCluster(ctx, target, stderr)
		if err != nil {
			return usageError("%v", err)
		}
		paths = []string{target.label}
		res, err = scan.Inventory(inv, opts)
	} else {
		res, err = scan.Run(ctx, opts)
	}
	if err != nil {
		return usageError("%v", err)
	}
	out := stdout
	if f.outputFile != "" {
		file, err := os.Create(f.outputFile)
		if err != nil {
			return usageError("%v", err)
		}
		defer file.Close()
		out = file
	}
	color := !f.noColor && f.outputFile == "" && isTerminal(stdout) && os.Getenv("NO_COLOR") == ""
	rep := scan.Report(res, report.Tool{Name: "kharden", Version: Version, InformationURI: "https://github.com/kharden/kharden"}, paths, f.showSuppressed)
	if err := report.Render(out, format, rep, report.Options{Color: color, Width: terminalWidth(stdout)}); err != nil {
		return fmt.Errorf("rendering report: %w", err)
	}
	if f.writeBaseline != "" {
		if err := writeBaselineFile(f.writeBaseline, res); err != nil {
			return usageError("%v", err)
		}
	}
	if format != report.FormatTable {
		// Machine formats carry warnings inside; a person reading the CI log
		// sees them here too (the table already shows them).
		for _, d := range res.Diagnostics {
			if d.Warning {
				fmt.Fprintln(stderr, "Warning:", d)
			}
		}
	}
	if errs := res.InputErrors(); len(errs) > 0 {
		// Findings were printed; the input errors are repeated on stderr so
		// they are not lost in a machine-readable report.
		for _, d := range errs {
			fmt.Fprintln(stderr, "Error:", d)
		}
		return &exitError{code: ExitUsage, err: fmt.Errorf("%d input error(s)", len(errs))}
	}
	if len(res.Inventory.Objects) == 0 && !f.allowEmpty {
		return usageError("no Kubernetes objects found in %s (use --allow-empty if that is expected)", strings.Join(paths, ", "))
	}
	if failOn != nil && res.Exceeds(*failOn) {
		return &exitError{code: ExitFindings}
	}
	return nil
}

func loadConfig(explicit, firstPath string) (*config.Config, error) {
	if explicit != "" {
		return config.Load(explicit)
	}
	if firstPath == "-" {
		firstPath = "."
	}
	if p := config.Find(firstPath); p != "" {
		return config.Load(p)
	}
	return config.Default(), nil
}

func writeBaselineFile(path string, res *scan.Result) error {
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := scan.WriteBaseline(file, res.Findings); err != nil {
		file.Close()
		return err
	}
	return file.Close()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if width, _, err := term.GetSize(int(f.Fd())); err == nil {
			return width
		}
	}
	return 0
}
