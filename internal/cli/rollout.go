package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/rollout"
)

func newRolloutCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rollout",
		Short: "Roll guardrails out in the cluster: audit, warn, deny in canaries, in production, everywhere",
		Long: "Move kharden's guardrails, rule by rule, through the stages of a safe rollout:\n\n" + rolloutStageList() +
			"\nCEL guardrails become ValidatingAdmissionPolicies with one binding per stage and scope; the\n" +
			"Pod Security Standards (rule \"pod-security\", or any PSS rule id) become PSA namespace labels.\n" +
			"Canary and production namespaces, excluded namespaces, the Pod Security level and the\n" +
			"promotion criteria are set in the rollout section of .kharden.yaml; exceptions of\n" +
			".kharden.yaml and kharden.dev/ignore annotations become the policies' matchConditions.\n" +
			"The stage of every rule is kept in the ConfigMap " + rollout.SystemNamespace + "/" + rollout.StateConfigMap + ".",
	}
	cmd.AddCommand(newRolloutPlanCommand(stdin, stdout, stderr, false), newRolloutPlanCommand(stdin, stdout, stderr, true),
		newRolloutApplyCommand(stdout, stderr), newRolloutRollbackCommand(stdout, stderr))
	return cmd
}

func rolloutStageList() string {
	var b strings.Builder
	for _, s := range rollout.Stages() {
		fmt.Fprintf(&b, "  %d %-16s %s\n", int(s), s, s.Describe())
	}
	return b.String()
}

// rolloutFlags are shared by the rollout commands.
type rolloutFlags struct {
	inputFlags
	rules      []string
	auditLogs  []string
	since      string
	output     string
	configPath string
	stage      string
	dryRun     bool
}

func (f *rolloutFlags) common(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringSliceVar(&f.rules, "rules", nil, "rules to act on (comma-separated CEL guardrail ids, pod-security or PSS rule ids; default all)")
	fl.StringVar(&f.configPath, "config", "", "configuration file (default: .kharden.yaml found upward from the current directory)")
}

// rolloutKinds are what the rollout reads of a cluster: the kinds the
// guardrails judge, and namespaces.
func rolloutKinds() []schema.GroupKind {
	seen := map[schema.GroupKind]bool{inventory.KindNamespace: true}
	for _, c := range checks.CELRules() {
		for _, k := range checks.GuardrailKinds(c) {
			seen[k] = true
		}
	}
	for _, k := range inventory.WorkloadKinds() {
		seen[k] = true
	}
	out := make([]schema.GroupKind, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func newRolloutPlanCommand(stdin io.Reader, stdout, stderr io.Writer, status bool) *cobra.Command {
	f := &rolloutFlags{}
	use, short := "plan", "Per rule and namespace: the stage, current violations, and what the next stage would break"
	if status {
		use, short = "status", "Per rule: the stage and since when, violations, audited violations and denials, readiness to promote"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long: short + ".\n\nViolations are judged on the live cluster's objects (--cluster, the default with a kubeconfig)\n" +
			"or on files (-f), with the offline evaluator the policies' expressions come from, exceptions\n" +
			"honoured. --audit-log adds what the API server recorded: validation_failure annotations written\n" +
			"by Audit bindings, PSA audit-violations, and requests refused by a kharden policy or PSA.\n" +
			"Readiness follows rollout.promotion of .kharden.yaml (minDays at the stage, maxViolations).",
		Example: "  kharden rollout " + use + "\n  kharden rollout " + use + " --audit-log /var/log/kubernetes/audit/audit.log --since 168h -o json\n" +
			"  kharden rollout plan -f deploy/ --rules image-latest-tag,pod-security",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRolloutPlan(cmd, f, status, stdin, stdout, stderr, time.Now())
		},
	}
	f.common(cmd)
	f.addFlags(cmd.Flags(), "")
	fl := cmd.Flags()
	fl.StringArrayVar(&f.auditLogs, "audit-log", nil, "audit log file or directory to read what the API server recorded (repeatable; - for stdin)")
	fl.StringVar(&f.since, "since", "", "only audit events at or after this time: RFC 3339, or a duration before now (168h)")
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table, json")
	return cmd
}

func runRolloutPlan(cmd *cobra.Command, f *rolloutFlags, status bool, stdin io.Reader, stdout, stderr io.Writer, now time.Time) error {
	if f.output != "table" && f.output != "json" {
		return usageError("--output %q: want table or json", f.output)
	}
	rules, err := rollout.SelectRules(f.rules)
	if err != nil {
		return usageError("--rules: %v", err)
	}
	cfg, err := loadConfig(f.configPath, ".")
	if err != nil {
		return usageError("%v", err)
	}
	since, err := parseWhen("since", f.since, now)
	if err != nil {
		return err
	}
	cluster := f.useCluster(cmd, f.files)
	in, err := f.load(cmd.Context(), cluster, f.files, rolloutKinds(), false, stdin, stderr)
	if err != nil {
		return err
	}
	opts := rollout.PlanOptions{Config: cfg, Rules: rules, Now: now}
	if cluster {
		c, err := f.rolloutClient()
		if err != nil {
			return err
		}
		ctx := cmdContext(cmd)
		var note string
		if opts.Config, note, err = c.ForServer(ctx, cfg); err != nil {
			return err
		}
		if note != "" {
			fmt.Fprintln(stderr, "Warning:", note)
		}
		if opts.State, err = rollout.ReadState(ctx, c.Kube()); err != nil {
			return err
		}
		if opts.Namespaces, err = c.Namespaces(ctx); err != nil {
			return err
		}
	}
	if len(f.auditLogs) > 0 {
		if opts.Audit, err = rollout.ReadAudit(f.auditLogs, stdin, since); err != nil {
			return usageError("--audit-log: %v", err)
		}
	}
	plan, err := rollout.MakePlan(in.inv, opts)
	if err != nil {
		return err
	}
	if f.output == "json" {
		out := rolloutJSON{Plan: plan}
		if status {
			out.Readiness = map[finding.RuleID]rollout.Readiness{}
			for i := range plan.Rules {
				out.Readiness[plan.Rules[i].Rule] = rollout.Ready(&plan.Rules[i], cfg, now)
			}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		writeRolloutPlan(stdout, plan, cfg, status, now)
	}
	return finishInput(in.inv, nil, stderr)
}

type rolloutJSON struct {
	*rollout.Plan
	Readiness map[finding.RuleID]rollout.Readiness `json:"readiness,omitempty"`
}

func writeRolloutPlan(w io.Writer, p *rollout.Plan, cfg *config.Config, status bool, now time.Time) {
	tw := newTabWriter(w)
	if status {
		fmt.Fprintln(tw, "RULE\tSTAGE\tSINCE\tVIOLATIONS\tAUDITED\tDENIED\tPROMOTION")
	} else {
		fmt.Fprintln(tw, "RULE\tSTAGE\tVIOLATIONS\tAUDITED\tNEXT\tWOULD BREAK")
	}
	for i := range p.Rules {
		r := &p.Rules[i]
		audited, denied := "-", "-"
		if r.Audited != nil || r.Denied != nil {
			audited, denied = fmt.Sprint(sumInts(r.Audited)), fmt.Sprint(sumInts(r.Denied))
		}
		if status {
			since := "-"
			if !r.Since.IsZero() {
				since = r.Since.UTC().Format("2006-01-02 15:04")
			}
			fmt.Fprintf(tw, "%s\t%d %s\t%s\t%d\t%s\t%s\t%s\n", r.Rule, int(r.Stage), r.Stage, since, r.Total(), audited, denied,
				rollout.Ready(r, cfg, now))
			continue
		}
		breaks := "nothing"
		if len(r.Breaks) > 0 {
			var parts []string
			for _, b := range r.Breaks {
				parts = append(parts, fmt.Sprintf("%s (%d)", nsLabel(b.Namespace), len(b.Objects)))
			}
			breaks = strings.Join(parts, ", ")
		}
		next := "-"
		if r.Next != r.Stage {
			next = fmt.Sprintf("%d %s", int(r.Next), r.Next)
		}
		fmt.Fprintf(tw, "%s\t%d %s\t%d\t%s\t%s\t%s\n", r.Rule, int(r.Stage), r.Stage, r.Total(), audited, next, breaks)
	}
	tw.Flush()
	for _, ns := range sortedMapKeys(p.Held) {
		fmt.Fprintf(w, "held at warn: %s — %s\n", ns, p.Held[ns])
	}
	for _, n := range p.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}

func nsLabel(ns string) string {
	if ns == "" {
		return "(cluster-scoped)"
	}
	return ns
}

func sumInts(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func sortedMapKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// rolloutClient connects to the kubeconfig's cluster.
func (f *rolloutFlags) rolloutClient() (*rollout.Client, error) {
	target, err := f.clusterFlags.resolve("")
	if err != nil {
		return nil, usageError("%v", err)
	}
	c, err := rollout.NewClient(target.opts.Config)
	if err != nil {
		return nil, usageError("%v", err)
	}
	return c, nil
}

func newRolloutApplyCommand(stdout, stderr io.Writer) *cobra.Command {
	f := &rolloutFlags{}
	cmd := &cobra.Command{
		Use:   "apply --stage N",
		Short: "Move rules to a stage and write its policies, bindings and labels, all or nothing",
		Long: "Move the rules (default all) to --stage and write what the stage needs: the params ConfigMap,\n" +
			"ValidatingAdmissionPolicies, their bindings, PSA labels, and the rollout state. A rule moves\n" +
			"forward one stage at a time; a stage that skips a step is refused. Every write is first sent as\n" +
			"a server-side dry run, and the API server's warnings are printed (PSA names the pods an enforce\n" +
			"label would reject); if any write is refused nothing is written. --dry-run stops after that.\n" +
			"Without --stage, the current stages are written again: exceptions that expired since stop\n" +
			"applying and new namespaces get their labels (run it daily).\n\nStages:\n" + rolloutStageList(),
		Example: "  kharden rollout apply --stage 1\n  kharden rollout apply --stage 3 --rules image-latest-tag,pod-security --dry-run\n" +
			"  kharden rollout apply    # refresh",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRolloutChange(cmd, f, false, stdout, stderr, time.Now())
		},
	}
	f.common(cmd)
	f.clusterFlags.addFlags(cmd.Flags())
	cmd.Flags().Lookup("cluster").Hidden = true
	cmd.Flags().StringVar(&f.stage, "stage", "", "stage to move to: 1-5 or audit, warn, deny-canary, deny-production, deny-everywhere (0 or none removes)")
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "only the server-side dry run: print what would change and the API server's warnings")
	return cmd
}

func newRolloutRollbackCommand(stdout, stderr io.Writer) *cobra.Command {
	f := &rolloutFlags{}
	cmd := &cobra.Command{
		Use:   "rollback",
		Short: "Return rules to the stage before their last change",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRolloutChange(cmd, f, true, stdout, stderr, time.Now())
		},
	}
	f.common(cmd)
	f.clusterFlags.addFlags(cmd.Flags())
	cmd.Flags().Lookup("cluster").Hidden = true
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "only the server-side dry run")
	return cmd
}

func runRolloutChange(cmd *cobra.Command, f *rolloutFlags, back bool, stdout, stderr io.Writer, now time.Time) error {
	cfg, err := loadConfig(f.configPath, ".")
	if err != nil {
		return usageError("%v", err)
	}
	c, err := f.rolloutClient()
	if err != nil {
		return err
	}
	ctx := cmdContext(cmd)
	var rules []finding.RuleID
	if len(f.rules) > 0 || !back {
		if rules, err = rollout.SelectRules(f.rules); err != nil {
			return usageError("--rules: %v", err)
		}
	}
	target, err := f.clusterFlags.resolve("")
	if err != nil {
		return usageError("%v", err)
	}
	target.opts.Kinds = rolloutKinds()
	inv, err := loadCluster(ctx, target, stderr)
	if err != nil {
		return usageError("%v", err)
	}
	var ch *rollout.Change
	switch {
	case back:
		if len(rules) == 0 {
			st, err := rollout.ReadState(ctx, c.Kube())
			if err != nil {
				return err
			}
			for _, id := range st.RuleIDs() {
				if _, ok := st.Previous(id); ok {
					rules = append(rules, id)
				}
			}
		}
		ch, err = c.Rollback(ctx, cfg, inv, rules, f.dryRun, now)
	case f.stage == "":
		ch, err = c.Refresh(ctx, cfg, inv, f.dryRun, now)
	default:
		stage, perr := rollout.ParseStage(f.stage)
		if perr != nil {
			return usageError("--stage: %v", perr)
		}
		ch, err = c.Promote(ctx, cfg, inv, rules, stage, f.dryRun, now)
	}
	if ch != nil && ch.Result != nil {
		writeRolloutChange(stdout, ch)
	}
	if err != nil {
		return &exitError{code: ExitUsage, err: err}
	}
	return nil
}

func writeRolloutChange(w io.Writer, ch *rollout.Change) {
	if ch.Before != nil && ch.After != nil {
		for _, id := range ch.After.RuleIDs() {
			if b, a := ch.Before.StageOf(id), ch.After.StageOf(id); a != b {
				fmt.Fprintf(w, "%s: %d %s -> %d %s\n", id, int(b), b, int(a), a)
			}
		}
	}
	verb := "applied"
	if ch.Result.DryRun {
		verb = "would apply (dry run)"
	}
	fmt.Fprintf(w, "%s %d object(s), deleted %d\n", verb, len(ch.Result.Applied), len(ch.Result.Deleted))
	for _, d := range ch.Result.Deleted {
		fmt.Fprintln(w, "  delete", d)
	}
	for _, wr := range ch.Result.Warnings {
		fmt.Fprintln(w, "API server warning:", safeLine(wr))
	}
	for ns, why := range ch.Objects.Held {
		fmt.Fprintf(w, "held at warn: %s — %s\n", ns, why)
	}
	for _, n := range ch.Objects.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}

func newTabWriter(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }
