package cli

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/detect/auditserve"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// auditServeFlags are the flags of `kharden audit serve`.
type auditServeFlags struct {
	opts       auditserve.Options
	rules      []string
	configPath string
	input      inputFlags
}

func newAuditServeCommand(stdout, stderr io.Writer) *cobra.Command {
	f := &auditServeFlags{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Receive the API server's audit webhook batches, spool them durably and run the detectors live",
		Long: "Serve HTTPS for the API server's audit webhook backend (--audit-webhook-config-file): batches\n" +
			"(audit.k8s.io/v1 EventList) are accepted by POST on any path except /healthz, /readyz and /metrics.\n" +
			"Each batch is written to the spool directory and synced before it is acknowledged; a consumer feeds\n" +
			"spooled batches, oldest first, to the audit detectors and then removes them (or moves them to\n" +
			"--archive-dir). Batches left by a crash are analysed first on the next start: acknowledged events\n" +
			"are analysed at least once. A full spool answers 429 with Retry-After; the API server retries\n" +
			"(run it with --audit-webhook-mode=batch and an --audit-webhook-initial-backoff of a few seconds).\n" +
			"Batches without one usable event are moved to --quarantine-dir. What the detectors learnt and\n" +
			"counted (baselines, counts of the windows still open, warm-up readers) is kept in --state-file,\n" +
			"every minute and at shutdown, so a restart neither starts the warm-up again nor cuts a burst in two.\n\n" +
			"Each alert is written to stdout as one JSON line (the finding), and POSTed to --alert-webhook when\n" +
			"set. Metrics (Prometheus): events received and analysed, batches by result, spool bytes and files,\n" +
			"decode problems by reason, findings by rule, namespace and team. The team comes from the namespaces'\n" +
			"labels or annotations under ownerKeys of .kharden.yaml: read from -f files at start, or watched in\n" +
			"the live cluster with --cluster (namespaces created or relabelled later are counted under their team).\n\n" +
			"SIGTERM or SIGINT stops accepting batches, finishes the batch being analysed and exits 0.",
		Example: "  kharden audit serve --tls-cert-file tls.crt --tls-private-key-file tls.key \\\n" +
			"    --client-ca-file apiserver-client-ca.crt --spool-dir /var/lib/kharden/spool \\\n" +
			"    --metrics-address :9090 --alert-webhook https://alerts.example.com/kharden",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmdContext(cmd), syscall.SIGTERM, os.Interrupt)
			defer stop()
			return runAuditServe(ctx, cmd, f, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	o := &f.opts
	fl.StringVar(&o.Address, "address", ":8443", "host:port of the HTTPS endpoint")
	fl.StringVar(&o.TLSCertFile, "tls-cert-file", "", "serving certificate (PEM); the webhook kubeconfig's certificate-authority must trust it")
	fl.StringVar(&o.TLSKeyFile, "tls-private-key-file", "", "serving private key (PEM)")
	fl.StringVar(&o.ClientCAFile, "client-ca-file", "", "require batches to come with a client certificate signed by these CAs (PEM)")
	fl.StringVar(&o.MetricsAddress, "metrics-address", "", "serve /metrics, /healthz and /readyz over plain HTTP here (default: next to the batches)")
	fl.StringVar(&o.SpoolDir, "spool-dir", "", "directory of accepted batches not yet analysed (required)")
	fl.Int64Var(&o.SpoolMaxBytes, "spool-max-bytes", auditserve.DefaultSpoolMaxBytes, "spool size beyond which batches are answered 429")
	fl.StringVar(&o.ArchiveDir, "archive-dir", "", "move analysed batches here instead of removing them")
	fl.StringVar(&o.StateFile, "state-file", "", "where the detectors' baselines and open windows are kept across restarts (default: the spool directory's name + .state.json)")
	fl.StringVar(&o.QuarantineDir, "quarantine-dir", "", "where batches without one usable event go (default: the spool directory's name + .quarantine)")
	fl.Int64Var(&o.MaxBodyBytes, "max-body-bytes", auditserve.DefaultMaxBodyBytes, "largest batch accepted; larger ones are answered 413")
	fl.DurationVar(&o.RetryAfter, "retry-after", auditserve.DefaultRetryAfter, "delay a 429 asks the API server to wait")
	fl.StringVar(&o.AlertWebhook, "alert-webhook", "", "also POST each alert (JSON) to this URL")
	fl.StringArrayVar(&f.rules, "rule", nil, "run only this rule (repeatable)")
	fl.StringVar(&f.configPath, "config", "", ".kharden.yaml (default: found from the working directory)")
	f.input.addFlags(fl, "")
	fl.Lookup("filename").Usage = "manifests holding the Namespaces, for the team label of the findings metric (repeatable)"
	fl.Lookup("cluster").Usage = "watch the Namespaces of the kubeconfig's cluster (new and relabelled ones too), for the team label of the findings metric"
	return cmd
}

// cmdContext is the command's context, or a background one in tests
// that run the command without Execute.
func cmdContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

func runAuditServe(ctx context.Context, cmd *cobra.Command, f *auditServeFlags, stdout, stderr io.Writer) error {
	o := f.opts
	if o.SpoolDir == "" {
		return usageError("--spool-dir is required")
	}
	if o.TLSCertFile == "" || o.TLSKeyFile == "" {
		return usageError("--tls-cert-file and --tls-private-key-file are required: the API server's webhook backend speaks HTTPS")
	}
	cfg, err := loadConfig(f.configPath, ".")
	if err != nil {
		return usageError("%v", err)
	}
	o.Config = cfg
	for _, r := range f.rules {
		o.Rules = append(o.Rules, finding.RuleID(r))
	}
	switch {
	case f.input.cluster && len(f.input.files) > 0:
		return usageError("--cluster reads the live cluster: give no files with it")
	case f.input.cluster:
		target, err := f.input.clusterFlags.resolve("")
		if err != nil {
			return usageError("%v", err)
		}
		o.Team, err = auditserve.WatchTeams(ctx, target.opts.Config, cfg.OwnerKeys, time.Minute)
		if err != nil {
			return usageError("%s: %v", target.label, err)
		}
	case len(f.input.files) > 0:
		in, err := f.input.load(ctx, false, f.input.files, []schema.GroupKind{{Kind: "Namespace"}}, false, nil, stderr)
		if err != nil {
			return err
		}
		o.Team = namespaceTeams(in.inv, cfg)
	}
	o.Alerts, o.Log = stdout, stderr
	s, err := auditserve.New(o)
	if err != nil {
		return usageError("%v", err)
	}
	if err := s.Run(ctx); err != nil {
		return &exitError{code: ExitUsage, err: err}
	}
	return nil
}

// namespaceTeams maps namespaces to the team their labels or annotations
// name under the configuration's owner keys.
func namespaceTeams(inv *inventory.Inventory, cfg *config.Config) func(string) string {
	teams := map[string]string{}
	for _, ns := range inv.ByKind(schema.GroupKind{Kind: "Namespace"}) {
		if t := cfg.Owner(ns.Labels(), ns.Annotations()); t != "" {
			teams[ns.Ref.Name] = t
		}
	}
	return func(ns string) string { return teams[ns] }
}
