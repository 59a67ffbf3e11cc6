package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/psa"
)

// newPSACommand is `kharden psa`: plan and apply Pod Security Admission
// namespace labels.
func newPSACommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "psa",
		Short: "Plan and apply Pod Security Admission namespace labels",
		Long: "Find, per namespace, the strictest Pod Security level every current workload passes (evaluated with\n" +
			"k8s.io/pod-security-admission, the API server's own code), and label namespaces with it: a server-side\n" +
			"dry-run first, so that the API server's own warnings are seen before anything is written.",
	}
	cmd.AddCommand(newPSAPlanCommand(stdin, stdout, stderr), newPSAApplyCommand(stdout, stderr))
	return cmd
}

// psaKinds are what psa reads from a cluster.
func psaKinds() []schema.GroupKind { return append(inventory.WorkloadKinds(), inventory.KindNamespace) }

// psaPlanFlags are the flags of `kharden psa plan`.
type psaPlanFlags struct {
	namespaces []string
	version    string
	output     string
	inputFlags
}

func newPSAPlanCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	f := &psaPlanFlags{}
	cmd := &cobra.Command{
		Use:   "plan [-f FILES | --cluster] [-n NAMESPACE ... | -A]",
		Short: "Propose the strictest Pod Security level each namespace's workloads pass, and what breaks next",
		Long: "For each namespace: its current pod-security.kubernetes.io labels, the strictest level (privileged <\n" +
			"baseline < restricted) that every workload passes (Pods and the pod templates of Deployments,\n" +
			"StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, ReplicationControllers and PodTemplates), the\n" +
			"workloads that fail the next stricter level with the PSA check ids and messages, and the labels to\n" +
			"set, each mode at the level with its version pinned (latest pins the newest version kharden knows).\n" +
			"A namespace with no workload is restricted. A workload owned by another object of the input (the\n" +
			"ReplicaSet of a Deployment, its pods) is reported once, under its top owner.\n\n" +
			"-o json prints {\"version\", \"namespaces\": [{\"name\", \"level\", \"current\": {labels}, \"workloads\",\n" +
			"\"breaksAt\": {\"level\", \"workloads\": [{\"kind\", \"name\", \"checks\": [{\"id\", \"level\", \"reason\",\n" +
			"\"detail\"}], \"message\"}]}, \"labels\": {labels}}]}.\n\n" +
			"Exit codes: 0 planned; 2 usage or input errors.",
		Example: "  kharden psa plan -f deploy/\n  kharden psa plan --cluster -n shop -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPSAPlan(cmd.Context(), f, f.useCluster(cmd, f.files), stdin, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.namespaces, "namespace", "n", nil, "namespace to plan (repeatable; default: every namespace)")
	fl.StringVar(&f.version, "version", "latest", "Pod Security Standards version to evaluate: latest or v1.N")
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table or json")
	f.inputFlags.addFlags(fl, "plan every namespace (the default)")
	return cmd
}

func runPSAPlan(ctx context.Context, f *psaPlanFlags, cluster bool, stdin io.Reader, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	output, err := answerOutput(f.output)
	if err != nil {
		return err
	}
	if f.allNamespaces && len(f.namespaces) > 0 {
		return usageError("-n/--namespace and -A/--all-namespaces exclude each other")
	}
	if _, err := psa.PinnedVersion(f.version); err != nil {
		return usageError("--version: %v", err)
	}
	in, err := f.load(ctx, cluster, f.files, psaKinds(), false, stdin, stderr)
	if err != nil {
		return err
	}
	version := f.version
	var notes []string
	if in.config != nil {
		server, err := psa.ServerVersion(ctx, in.config)
		if err != nil {
			return usageError("%s: %v", in.inputs[0], err)
		}
		v, note, err := psa.ForServer(f.version, server)
		if err != nil {
			return usageError("--version: %v", err)
		}
		version = v
		if note != "" {
			notes = append(notes, note)
		}
	}
	plan, err := psa.Plan(in.inv, psa.Options{Version: version, Namespaces: f.namespaces})
	if err != nil {
		return usageError("%v", err)
	}
	plan.Warnings = append(notes, plan.Warnings...)
	if err := writeAnswer(stdout, output, psaPlanTable{plan}); err != nil {
		return err
	}
	return finishInput(in.inv, plan.Warnings, stderr)
}

// psaPlanTable prints a plan as a table (and marshals as the plan).
type psaPlanTable struct{ *psa.Proposal }

// WriteTable prints one row per namespace, then what breaks at the next
// level.
func (p psaPlanTable) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tLEVEL\tWORKLOADS\tCURRENT\tBREAKS AT NEXT LEVEL")
	for _, n := range p.Namespaces {
		breaks := "-"
		if n.BreaksAt != nil {
			breaks = fmt.Sprintf("%s: %d workload(s)", n.BreaksAt.Level, len(n.BreaksAt.Workloads))
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", safeLine(n.Name), n.Level, n.Workloads, labelText(n.Current), breaks)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range p.Namespaces {
		if n.BreaksAt == nil || len(n.BreaksAt.Workloads) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s at %s:\n", safeLine(n.Name), n.BreaksAt.Level)
		for _, wl := range n.BreaksAt.Workloads {
			ids := make([]string, len(wl.Checks))
			for i, c := range wl.Checks {
				ids[i] = string(c.ID)
			}
			fmt.Fprintf(w, "  %s/%s [%s]: %s\n", wl.Kind, safeLine(wl.Name), strings.Join(ids, ", "), safeLine(wl.Message))
		}
	}
	fmt.Fprintf(w, "\nLabels to set (version pinned to %s): kharden psa apply --mode audit|warn|enforce -n NAMESPACE\n", p.Version)
	return nil
}

func labelText(m map[string]string) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = strings.TrimPrefix(k, psa.LabelPrefix) + "=" + safeLine(m[k])
	}
	return strings.Join(parts, ",")
}

// psaApplyFlags are the flags of `kharden psa apply`.
type psaApplyFlags struct {
	mode, level, selector, version, output string
	namespaces                             []string
	dryRun                                 bool
	clusterFlags
}

func newPSAApplyCommand(stdout, stderr io.Writer) *cobra.Command {
	f := &psaApplyFlags{}
	cmd := &cobra.Command{
		Use:   "apply --mode audit|warn|enforce [--level LEVEL] (-n NAMESPACE ... | --selector SELECTOR | -A) [--dry-run]",
		Short: "Label namespaces with a Pod Security Admission mode, after a server-side dry-run of every change",
		Long: "Set pod-security.kubernetes.io/<mode> and <mode>-version on the selected namespaces of the live\n" +
			"cluster, at --level or, by default, at each namespace's planned level (see kharden psa plan). Every\n" +
			"change is first sent as a server-side dry-run and the API server's warnings are printed per\n" +
			"namespace (for enforce, the existing pods that would violate the level). If any dry-run fails,\n" +
			"nothing is written; if a write fails, the namespaces already written get their previous labels\n" +
			"back. --dry-run stops after the dry-run.\n\n" +
			"Exit codes: 0 applied (or dry-run clean of errors); 2 usage errors or a failed dry-run or write.",
		Example: "  kharden psa apply --mode warn -A --dry-run\n" +
			"  kharden psa apply --mode enforce --level baseline -n shop -n billing\n" +
			"  kharden psa apply --mode audit --selector env=prod",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPSAApply(cmd.Context(), f, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.mode, "mode", "", "PSA mode to set: audit, warn or enforce (required)")
	fl.StringVar(&f.level, "level", "", "level to set: privileged, baseline or restricted (default: each namespace's planned level)")
	fl.StringArrayVarP(&f.namespaces, "namespace", "n", nil, "namespace to label (repeatable)")
	fl.StringVar(&f.selector, "selector", "", "label selector of the namespaces to label")
	fl.StringVar(&f.version, "version", "latest", "Pod Security Standards version to pin: latest (the newest kharden knows) or v1.N")
	fl.BoolVar(&f.dryRun, "dry-run", false, "only the server-side dry-run: print the API server's warnings, write nothing")
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table or json")
	f.clusterFlags.addFlags(fl)
	fl.Lookup("cluster").Hidden = true
	fl.Lookup("chunk-size").Hidden = true
	fl.Lookup("all-namespaces").Usage = "label every namespace"
	return cmd
}

func runPSAApply(ctx context.Context, f *psaApplyFlags, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	output, err := answerOutput(f.output)
	if err != nil {
		return err
	}
	if f.mode == "" {
		return usageError("--mode is required: audit, warn or enforce")
	}
	mode, err := psa.ParseMode(f.mode)
	if err != nil {
		return usageError("--mode: %v", err)
	}
	var level api.Level
	if f.level != "" {
		if level, err = psa.ParseLevel(f.level); err != nil {
			return usageError("--level: %v", err)
		}
	}
	if f.selector != "" {
		if _, err := psa.ParseSelector(f.selector); err != nil {
			return usageError("%v", err)
		}
	}
	if len(f.namespaces) == 0 && f.selector == "" && !f.allNamespaces {
		return usageError("no namespace selected: give -n NAMESPACE, --selector SELECTOR or -A")
	}
	if _, err := psa.PinnedVersion(f.version); err != nil {
		return usageError("--version: %v", err)
	}
	target, err := f.clusterFlags.resolve("")
	if err != nil {
		return usageError("%v", err)
	}
	client, err := kubernetes.NewForConfig(target.opts.Config)
	if err != nil {
		return usageError("%s: %v", target.label, err)
	}
	server, err := psa.ServerVersionOf(ctx, client)
	if err != nil {
		return usageError("%s: %v", target.label, err)
	}
	// What the cluster's Pod Security Admission knows: "latest" pins its own version.
	pin, note, err := psa.ForServer(f.version, server)
	if err != nil {
		return usageError("--version: %v", err)
	}
	if note != "" {
		fmt.Fprintln(stderr, "Warning:", note)
	}
	sel := psa.Selection{Names: f.namespaces, Selector: f.selector, All: f.allNamespaces}
	names, err := sel.Resolve(ctx, client)
	if err != nil {
		return usageError("%s: %v", target.label, err)
	}
	if len(names) == 0 {
		return usageError("no namespace matches the selection")
	}
	levels := map[string]api.Level{}
	if level == "" {
		target.opts.Kinds = psaKinds()
		inv, err := loadCluster(ctx, target, stderr)
		if err != nil {
			return usageError("%v", err)
		}
		plan, err := psa.Plan(inv, psa.Options{Version: pin, Namespaces: names})
		if err != nil {
			return usageError("%v", err)
		}
		for _, n := range plan.Namespaces {
			levels[n.Name] = n.Level
		}
	}
	changes := make([]psa.Change, len(names))
	for i, ns := range names {
		l := level
		if l == "" {
			l = levels[ns]
		}
		changes[i] = psa.Change{Namespace: ns, Mode: mode, Level: l, Version: pin}
	}
	res, applyErr := psa.Apply(ctx, target.opts.Config, changes, f.dryRun)
	if res != nil {
		if err := writeAnswer(stdout, output, psaApplyTable{res, f.dryRun}); err != nil {
			return err
		}
	}
	if applyErr != nil {
		return &exitError{code: ExitUsage, err: applyErr}
	}
	return nil
}

// psaApplyTable prints what apply did per namespace.
type psaApplyTable struct {
	*psa.ApplyResult
	dryRun bool
}

// WriteTable prints one block per namespace: the labels, then the API
// server's warnings or error.
func (t psaApplyTable) WriteTable(w io.Writer) error {
	for _, o := range t.Outcomes {
		state := "dry-run ok"
		switch {
		case o.Error != "":
			state = "FAILED"
		case t.Applied:
			state = "applied"
		case !t.dryRun:
			state = "not written"
		}
		fmt.Fprintf(w, "%s: %s (%s)\n", safeLine(o.Namespace), labelText(o.Labels), state)
		for _, warn := range o.Warnings {
			fmt.Fprintf(w, "  warning: %s\n", safeLine(warn))
		}
		if o.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", safeLine(o.Error))
		}
	}
	return nil
}
