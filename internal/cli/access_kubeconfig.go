package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/homedir"

	"github.com/kharden/kharden/pkg/access"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/report"
)

// accessKubeconfigFlags are the flags of `kharden access kubeconfig`.
type accessKubeconfigFlags struct {
	output     string
	failOn     string
	configPath string
}

func newAccessKubeconfigCommand(stdout, stderr io.Writer) *cobra.Command {
	f := &accessKubeconfigFlags{}
	cmd := &cobra.Command{
		Use:   "kubeconfig [FILE...]",
		Short: "Audit kubeconfig files: static tokens, passwords, client certificates, TLS settings",
		Long: "Audit the users and clusters of kubeconfig files (default: the files $KUBECONFIG lists, else\n" +
			"~/.kube/config). Nothing is sent to a cluster, and no token, password, key or certificate is\n" +
			"ever printed: findings name the entry, the field and facts such as a certificate's subject and\n" +
			"dates. Relative certificate paths are read relative to the kubeconfig.\n\n" +
			"Rules:\n" + accessKubeconfigRuleList() + "\n" +
			"Exit codes: 0 no finding at or above --fail-on; 1 findings at or above --fail-on;\n" +
			"2 usage or input errors (a file that cannot be read or parsed, a certificate that cannot be\n" +
			"read), after the findings of the other files are printed.",
		Example: "  kharden access kubeconfig\n" +
			"  kharden access kubeconfig ~/.kube/config ci/kubeconfig.yaml --fail-on high\n" +
			"  kharden access kubeconfig admin.conf -o sarif > kubeconfig.sarif",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAccessKubeconfig(f, args, stdout, stderr, time.Now())
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table, json, sarif, junit, markdown")
	fl.StringVar(&f.failOn, "fail-on", "", "exit 1 when an unsuppressed finding is at or above this severity (info, low, medium, high, critical)")
	fl.StringVar(&f.configPath, "config", "", "configuration file (default: .kharden.yaml found upward from the first file, or from the current directory)")
	return cmd
}

// accessKubeconfigRuleList lists the rules for the help text, from the
// catalogue.
func accessKubeconfigRuleList() string {
	rules, err := access.KubeconfigRules()
	if err != nil {
		return "  (see `kharden rules`)\n"
	}
	var b strings.Builder
	for _, c := range rules {
		fmt.Fprintf(&b, "  %-38s %-9s %s\n", c.ID, c.Severity, c.Summary)
	}
	return b.String()
}

func runAccessKubeconfig(f *accessKubeconfigFlags, paths []string, stdout, stderr io.Writer, now time.Time) error {
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
	if len(paths) == 0 {
		paths = accessDefaultKubeconfigs()
		if len(paths) == 0 {
			return usageError("no kubeconfig to audit: give files, or set $KUBECONFIG (default ~/.kube/config)")
		}
	} else {
		// The configuration belongs with the files given, like scan's.
		configFrom = paths[0]
	}
	cfg, err := loadConfig(f.configPath, configFrom)
	if err != nil {
		return usageError("%v", err)
	}
	review := access.ReviewKubeconfigs(paths, cfg, now)
	rep := review.Report(report.Tool{Name: "kharden", Version: Version, InformationURI: "https://github.com/kharden/kharden"}, false)
	color := isTerminal(stdout) && os.Getenv("NO_COLOR") == ""
	if err := report.Render(stdout, format, rep, report.Options{Color: color, Width: terminalWidth(stdout)}); err != nil {
		return fmt.Errorf("rendering report: %w", err)
	}
	if len(review.Errors) > 0 {
		// Repeated on stderr so they are not lost in a machine-readable
		// report.
		for _, err := range review.Errors {
			fmt.Fprintln(stderr, "Error:", err)
		}
		return &exitError{code: ExitUsage, err: fmt.Errorf("%d input error(s)", len(review.Errors))}
	}
	if failOn != nil && review.Exceeds(*failOn) {
		return &exitError{code: ExitFindings}
	}
	return nil
}

// accessDefaultKubeconfigs returns the kubeconfigs kubectl would read: the
// files $KUBECONFIG lists that exist (kubectl skips missing ones), else
// ~/.kube/config if it exists.
func accessDefaultKubeconfigs() []string {
	if env := os.Getenv(clientcmd.RecommendedConfigPathEnvVar); env != "" {
		var out []string
		seen := map[string]bool{}
		for _, p := range filepath.SplitList(env) {
			if p != "" && !seen[p] && fileExists(p) {
				seen[p] = true
				out = append(out, p)
			}
		}
		return out
	}
	p := filepath.Join(homedir.HomeDir(), clientcmd.RecommendedHomeDir, clientcmd.RecommendedFileName)
	if fileExists(p) {
		return []string{p}
	}
	return nil
}
