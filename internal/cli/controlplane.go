package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/kharden/kharden/pkg/controlplane"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/report"
)

func newControlplaneCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	_ = stdin
	cmd := &cobra.Command{
		Use:   "controlplane",
		Short: "Check the cluster's base: API server, etcd and kubelet configuration, managed-cloud settings",
	}
	cmd.AddCommand(newControlplaneCheckCommand(stdout, stderr))
	return cmd
}

// controlplaneCheckFlags are the flags of `kharden controlplane check`.
type controlplaneCheckFlags struct {
	root          string
	manifests     string
	kubeletConfig string
	kubeletFlags  string
	cloud         string
	output        string
	failOn        string
	configPath    string
	probeTimeout  time.Duration
	kube          *genericclioptions.ConfigFlags
}

func newControlplaneCheckCommand(stdout, stderr io.Writer) *cobra.Command {
	f := &controlplaneCheckFlags{}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check static-pod manifests, the files their flags name, kubelet configuration and cloud descriptions",
		Long: "Check a control-plane node's configuration: the static pods of --manifests (kube-apiserver, etcd,\n" +
			"kube-controller-manager, kube-scheduler), the files their flags name (EncryptionConfiguration,\n" +
			"audit policy, authentication, authorization and admission configuration; token files are checked\n" +
			"by name only), the kubelet's --kubelet-config and --kubelet-flags, and a managed cluster's\n" +
			"--cloud description. --root resolves the absolute paths found in flags against a copy of a node's\n" +
			"filesystem, so a collected snapshot can be checked anywhere. No key, token or etcd value is ever\n" +
			"printed.\n\n" +
			"--kubelet-flags FILE holds the kubelet's command line: lines such as\n" +
			"KUBELET_EXTRA_ARGS=\"--read-only-port=0\" (/etc/default/kubelet, kubeadm-flags.env),\n" +
			"Environment=\"KUBELET_EXTRA_ARGS=...\" or ExecStart=/usr/bin/kubelet ... (systemd), or a bare\n" +
			"command line; flags override the configuration file, as the kubelet does.\n\n" +
			"Rules:\n" + controlplaneRuleList() + "\n" +
			"Exit codes: 0 no finding at or above --fail-on; 1 findings at or above --fail-on;\n" +
			"2 usage or input errors (a file that cannot be read or parsed), after the report is printed.",
		Example: "  kharden controlplane check\n" +
			"  kharden controlplane check --root /mnt/node-snapshot --fail-on high\n" +
			"  kharden controlplane check --manifests ./manifests --kubelet-config ./config.yaml -o json\n" +
			"  kharden controlplane check --cloud eks-describe.json -o sarif",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runControlplaneCheck(cmd.Context(), f, cmd.Flags(), stdout, stderr, time.Now())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.root, "root", "/", "directory holding the node's filesystem; absolute paths in flags are resolved against it")
	fl.StringVar(&f.manifests, "manifests", "", "static-pod manifests directory (default <root>/"+controlplane.DefaultManifestsDir+")")
	fl.StringVar(&f.kubeletConfig, "kubelet-config", "", "KubeletConfiguration file (default <root>/"+controlplane.DefaultKubeletConfig+")")
	fl.StringVar(&f.kubeletFlags, "kubelet-flags", "", "file holding the kubelet's command-line flags (e.g. /etc/default/kubelet)")
	fl.StringVar(&f.cloud, "cloud", "", "managed-cluster description: JSON of `aws eks describe-cluster`, `gcloud container clusters describe --format=json` or `az aks show`")
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table, json, sarif, junit, markdown")
	fl.StringVar(&f.failOn, "fail-on", "", "exit 1 when an unsuppressed finding is at or above this severity (info, low, medium, high, critical)")
	fl.StringVar(&f.configPath, "config", "", "configuration file (default: .kharden.yaml found upward from the current directory)")
	fl.DurationVar(&f.probeTimeout, "probe-timeout", 10*time.Second, "with a kubeconfig flag: how long the live probes may take")
	f.kube = &genericclioptions.ConfigFlags{
		KubeConfig: strPtr(""), Context: strPtr(""), APIServer: strPtr(""), Insecure: boolPtr(false),
		CAFile: strPtr(""), TLSServerName: strPtr(""),
	}
	f.kube.AddFlags(fl)
	return cmd
}

func strPtr(s string) *string { return &s }
func boolPtr(b bool) *bool    { return &b }

// controlplaneRuleList lists the rules for the help text, from the
// catalogue.
func controlplaneRuleList() string {
	var b strings.Builder
	for _, c := range controlplane.Rules() {
		fmt.Fprintf(&b, "  %-36s %-9s %s\n", c.ID, c.Severity, c.Summary)
	}
	return b.String()
}

func runControlplaneCheck(ctx context.Context, f *controlplaneCheckFlags, fl *pflag.FlagSet, stdout, stderr io.Writer, now time.Time) error {
	if ctx == nil {
		ctx = context.Background()
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
	if st, err := os.Stat(f.root); err != nil || !st.IsDir() {
		return usageError("--root %s: not a directory", f.root)
	}
	cfg, err := loadConfig(f.configPath, ".")
	if err != nil {
		return usageError("%v", err)
	}
	opts := controlplane.Options{
		Root: f.root, Manifests: f.manifests, KubeletConfig: f.kubeletConfig, KubeletFlags: f.kubeletFlags,
		Cloud: f.cloud, Timeout: f.probeTimeout,
	}
	// Live probes only when a kubeconfig flag asks for them: checking a
	// node snapshot must not reach whatever cluster ~/.kube/config names.
	if controlplaneLiveRequested(fl) {
		rc, err := f.kube.ToRESTConfig()
		if err != nil {
			return usageError("kubeconfig: %s", strings.Join(strings.Fields(err.Error()), " "))
		}
		opts.Live = rc
	}
	review := controlplane.CheckWithConfig(ctx, opts, cfg, now)
	rep := review.Report(report.Tool{Name: "kharden", Version: Version, InformationURI: "https://github.com/kharden/kharden"}, false)
	color := isTerminal(stdout) && os.Getenv("NO_COLOR") == ""
	if err := report.Render(stdout, format, rep, report.Options{Color: color, Width: terminalWidth(stdout)}); err != nil {
		return fmt.Errorf("rendering report: %w", err)
	}
	for _, pr := range review.Probes {
		fmt.Fprintf(stderr, "probe %s: %s\n", pr.Path, controlplaneProbeLine(pr))
	}
	// Repeated on stderr so they are not lost in a machine-readable report.
	errs := review.InputErrors()
	for _, err := range review.Errors {
		label := "Warning:"
		if slices.Contains(errs, err) {
			label = "Error:"
		}
		fmt.Fprintln(stderr, label, err)
	}
	if len(errs) > 0 {
		return &exitError{code: ExitUsage, err: fmt.Errorf("%d input error(s)", len(errs))}
	}
	if failOn != nil && review.Exceeds(*failOn) {
		return &exitError{code: ExitFindings}
	}
	return nil
}

// controlplaneLiveRequested reports whether a kubeconfig flag was given.
func controlplaneLiveRequested(fl *pflag.FlagSet) bool {
	for _, name := range []string{"kubeconfig", "context", "server"} {
		if f := fl.Lookup(name); f != nil && f.Changed {
			return true
		}
	}
	return false
}

// controlplaneProbeLine renders a live probe's answer: the status, when
// there is one, and what it means.
func controlplaneProbeLine(pr controlplane.ProbeResult) string {
	if pr.Status == 0 {
		return pr.Meaning
	}
	return fmt.Sprintf("%d %s", pr.Status, pr.Meaning)
}
