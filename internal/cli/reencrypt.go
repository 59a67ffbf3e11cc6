package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kharden/kharden/pkg/reencrypt"
)

// reencryptProgressEvery is how many objects pass between progress lines.
const reencryptProgressEvery = 100

// reencryptFlags are the flags of `kharden reencrypt`.
type reencryptFlags struct {
	resources  []string
	apply      bool
	qps        float32
	chunkSize  int64
	resumeFile string
	namespace  string
	kube       *genericclioptions.ConfigFlags
}

func newReencryptCommand(stdout, stderr io.Writer) *cobra.Command {
	f := &reencryptFlags{}
	cmd := &cobra.Command{
		Use:   "reencrypt --resources secrets[,configmaps,...]",
		Short: "Rewrite objects through the API server so they are stored with the current encryption key",
		Long: "Turning etcd encryption on, or rotating its key, leaves every stored object as it was until it\n" +
			"is written again. reencrypt reads each object of the given resources in pages and writes it back\n" +
			"unchanged (a no-op update with its resourceVersion); the API server stores it again only when it\n" +
			"was stored in plaintext or under a key that is no longer the write key, so a second run writes\n" +
			"nothing (UNCHANGED). Conflicts are retried; objects deleted meanwhile are skipped.\n\n" +
			"Without --apply the updates are sent as dry runs: validated and admitted, nothing is written.\n" +
			"With --resume-file an interrupted --apply run continues after the last object done; the file is\n" +
			"removed when the run completes. Progress goes to stderr, the final count to stdout; object\n" +
			"contents are never printed.\n\n" +
			"Exit codes: 0 every object done; 1 some objects could not be rewritten (listed on stderr);\n" +
			"2 usage errors, or a run that stopped early (after printing the count so far).",
		Example: "  kharden reencrypt --resources secrets\n" +
			"  kharden reencrypt --resources secrets,configmaps --apply --resume-file reencrypt.json\n" +
			"  kharden reencrypt --resources secrets -n team-a --apply --qps 5",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runReencrypt(ctx, f, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.resources, "resources", nil, "resources to rewrite, e.g. secrets,configmaps,deployments.apps (required)")
	fl.BoolVar(&f.apply, "apply", false, "write; without it every update is a server-side dry run")
	fl.Float32Var(&f.qps, "qps", reencrypt.DefaultQPS, "requests per second to the API server")
	fl.Int64Var(&f.chunkSize, "chunk-size", reencrypt.DefaultChunkSize, "objects per list request")
	fl.StringVar(&f.resumeFile, "resume-file", "", "record progress here and continue an interrupted run from it")
	fl.StringVarP(&f.namespace, "namespace", "n", "", "only this namespace (default: all namespaces)")
	f.kube = genericclioptions.NewConfigFlags(false)
	// -n is our own flag (no default from the kubeconfig: all namespaces);
	// basic auth and the discovery cache are not used.
	f.kube.Namespace = nil
	f.kube.CacheDir = nil
	f.kube.Username = nil
	f.kube.Password = nil
	f.kube.AddFlags(fl)
	return cmd
}

func runReencrypt(ctx context.Context, f *reencryptFlags, stdout, stderr io.Writer) error {
	if len(f.resources) == 0 {
		return usageError("--resources is required, e.g. --resources secrets")
	}
	if f.qps <= 0 {
		return usageError("--qps must be positive")
	}
	if f.chunkSize <= 0 {
		return usageError("--chunk-size must be positive")
	}
	cfg, err := reencryptConfig(f.kube)
	if err != nil {
		return usageError("%v", err)
	}
	opts := reencrypt.Options{
		Resources: f.resources, Apply: f.apply, QPS: f.qps, ChunkSize: f.chunkSize,
		ResumeFile: f.resumeFile, Namespace: f.namespace,
		Progress: func(p reencrypt.Progress) {
			if n := p.Counts.Rewritten + p.Counts.Unchanged + p.Counts.Skipped + p.Counts.Failed; n%reencryptProgressEvery == 0 {
				fmt.Fprintf(stderr, "%s: %d objects (%s)\n", p.Resource, n, countsText(p.Counts))
			}
		},
	}
	res, runErr := reencrypt.Run(ctx, cfg, opts)
	if res != nil {
		printReencrypt(stdout, res)
		for _, fl := range res.Failures {
			fmt.Fprintf(stderr, "failed: %s %s: %s\n", fl.Resource, fl.Key, fl.Reason)
		}
	}
	if runErr != nil {
		msg := strings.Join(strings.Fields(runErr.Error()), " ")
		if f.apply && f.resumeFile != "" && res != nil {
			msg += fmt.Sprintf(" (progress saved in %s: run again to continue)", f.resumeFile)
		}
		return &exitError{code: ExitUsage, err: fmt.Errorf("reencrypt: %s", msg)}
	}
	if n := res.Total().Failed; n > 0 {
		return &exitError{code: ExitFindings, err: fmt.Errorf("%d object(s) could not be rewritten", n)}
	}
	return nil
}

// reencryptConfig resolves the kubeconfig flags, $KUBECONFIG,
// ~/.kube/config or the in-cluster configuration.
func reencryptConfig(kube *genericclioptions.ConfigFlags) (*rest.Config, error) {
	loader := kube.ToRawKubeConfigLoader()
	// client-go falls back to http://localhost:8080 without any
	// configuration; say so instead.
	if raw, err := loader.RawConfig(); err == nil && len(raw.Clusters) == 0 &&
		(kube.APIServer == nil || *kube.APIServer == "") && !inCluster() {
		return nil, fmt.Errorf("no kubeconfig found: give --kubeconfig, set KUBECONFIG, or run inside a cluster")
	}
	cfg, err := loader.ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, fmt.Errorf("no kubeconfig found: give --kubeconfig, set KUBECONFIG, or run inside a cluster")
		}
		return nil, fmt.Errorf("kubeconfig: %s", strings.Join(strings.Fields(err.Error()), " "))
	}
	return cfg, nil
}

// printReencrypt writes the final count, one line per resource.
func printReencrypt(w io.Writer, res *reencrypt.Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RESOURCE\tREWRITTEN\tUNCHANGED\tSKIPPED\tCONFLICTS\tFAILED")
	for _, r := range res.PerResource {
		c := r.Counts
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\n", r.Resource, c.Rewritten, c.Unchanged, c.Skipped, c.Conflicts, c.Failed)
	}
	_ = tw.Flush()
	if !res.Apply {
		fmt.Fprintln(w, "Dry run: nothing was written (REWRITTEN counts updates the server accepted). Use --apply to rewrite.")
	}
}

// countsText is a one-line summary of counts for progress lines.
func countsText(c reencrypt.Counts) string {
	return fmt.Sprintf("rewritten %d, unchanged %d, skipped %d, conflicts %d, failed %d",
		c.Rewritten, c.Unchanged, c.Skipped, c.Conflicts, c.Failed)
}
