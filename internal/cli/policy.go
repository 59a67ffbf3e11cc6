package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/rollout"
)

func newPolicyCommand(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Export the guardrails as native cluster policy (ValidatingAdmissionPolicy)",
	}
	cmd.AddCommand(newPolicyExportCommand(stdout, stderr))
	return cmd
}

type policyExportFlags struct {
	rules      []string
	stage      string
	output     string
	configPath string
}

func newPolicyExportCommand(stdout, stderr io.Writer) *cobra.Command {
	f := &policyExportFlags{}
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Print every CEL guardrail as a ValidatingAdmissionPolicy with its bindings, for GitOps",
		Long: "Print, as YAML (or a JSON list), what the cluster needs to enforce the CEL guardrails natively:\n" +
			"the " + rollout.SystemNamespace + " namespace, the params ConfigMap (registry allowlist, owner keys,\n" +
			"data-classification key of .kharden.yaml), one ValidatingAdmissionPolicy per rule — the same\n" +
			"expression text the offline scan evaluates, variables that reach the pod spec of every workload\n" +
			"kind, messageExpression, an audit annotation, and the exceptions as matchConditions — and the\n" +
			"bindings of --stage (default 1, audit). Canary and production namespaces come from the rollout\n" +
			"section of .kharden.yaml (name patterns are exported by name; selectors as selectors).\n" +
			"Exceptions scoped by file apply in CI only: they are listed on stderr.",
		Example: "  kharden policy export > kharden-policies.yaml\n  kharden policy export --rules image-latest-tag --stage 3",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPolicyExport(f, stdout, stderr, time.Now())
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.rules, "rules", nil, "CEL guardrail ids to export (comma-separated; default all)")
	fl.StringVar(&f.stage, "stage", "1", "stage whose bindings to print: 1-5 or audit, warn, deny-canary, deny-production, deny-everywhere")
	fl.StringVarP(&f.output, "output", "o", "yaml", "output format: yaml, json")
	fl.StringVar(&f.configPath, "config", "", "configuration file (default: .kharden.yaml found upward from the current directory)")
	return cmd
}

func runPolicyExport(f *policyExportFlags, stdout, stderr io.Writer, now time.Time) error {
	if f.output != "yaml" && f.output != "json" {
		return usageError("--output %q: want yaml or json", f.output)
	}
	rules, err := rollout.SelectRules(f.rules)
	if err != nil {
		return usageError("--rules: %v", err)
	}
	stage, err := rollout.ParseStage(f.stage)
	if err != nil {
		return usageError("--stage: %v", err)
	}
	cfg, err := loadConfig(f.configPath, ".")
	if err != nil {
		return usageError("%v", err)
	}
	// The namespaces export knows: the literal names of the configuration.
	var nss []rollout.Namespace
	for _, set := range [][]string{cfg.Rollout.Canary.Namespaces, cfg.ProductionSet().Namespaces} {
		for _, n := range set {
			if !strings.ContainsAny(n, "*?[") {
				nss = append(nss, rollout.Namespace{Name: n})
			}
		}
	}
	place := rollout.Place(cfg, nss)
	pols, err := rollout.ExportPolicies(rules, cfg, now)
	if err != nil {
		return usageError("%v", err)
	}
	objs := []any{rollout.SystemNamespaceObject(), rollout.ParamsConfigMap(cfg)}
	for _, p := range pols {
		objs = append(objs, p.Policy)
		for _, b := range rollout.Bindings(p.Policy, stage, cfg, place) {
			objs = append(objs, b)
		}
		for _, n := range p.Notes {
			fmt.Fprintln(stderr, "Warning:", n)
		}
	}
	for i, o := range objs {
		if objs[i], err = manifest(o); err != nil {
			return err
		}
	}
	if f.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"apiVersion": "v1", "kind": "List", "items": objs})
	}
	for i, o := range objs {
		b, err := yaml.Marshal(o)
		if err != nil {
			return err
		}
		if i > 0 {
			fmt.Fprintln(stdout, "---")
		}
		stdout.Write(b)
	}
	return nil
}

func newExceptionsCommand(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "exceptions",
		Short: "List the exceptions of .kharden.yaml: owner, reason, scope, expiry",
	}
	cmd.AddCommand(newExceptionsListCommand(stdout, stderr))
	return cmd
}

type exceptionsListFlags struct {
	expiring   string
	output     string
	configPath string
}

func newExceptionsListCommand(stdout, stderr io.Writer) *cobra.Command {
	f := &exceptionsListFlags{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List exceptions with their expiry; expired ones no longer apply, in CI or in the cluster",
		Long: "List the exceptions of .kharden.yaml: rules, owner, reason, scope, expiry and days left.\n" +
			"Expired exceptions no longer apply anywhere (the scan reports them as exception-expired; the\n" +
			"next `kharden rollout apply` removes them from the policies). An exception without expiry is\n" +
			"refused unless marked permanent: true with a reason. Exceptions scoped by file apply in CI only.\n\n" +
			"Exit codes: 0; 1 when an exception has expired or (with --expiring) expires within the window.",
		Example: "  kharden exceptions list\n  kharden exceptions list --expiring 14d -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runExceptionsList(f, stdout, time.Now())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.expiring, "expiring", "", "only exceptions expiring within this window (14d, 36h), and the expired ones")
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table, json")
	fl.StringVar(&f.configPath, "config", "", "configuration file (default: .kharden.yaml found upward from the current directory)")
	return cmd
}

// parseDays reads a window: a Go duration or a number of days ("14d").
func parseDays(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(d, "%d", &n); err == nil && n >= 0 && fmt.Sprint(n) == d {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: want days (14d) or a duration (36h)", s)
	}
	return d, nil
}

func runExceptionsList(f *exceptionsListFlags, stdout io.Writer, now time.Time) error {
	if f.output != "table" && f.output != "json" {
		return usageError("--output %q: want table or json", f.output)
	}
	cfg, err := loadConfig(f.configPath, ".")
	if err != nil {
		return usageError("%v", err)
	}
	all := rollout.Exceptions(cfg, now)
	list := all
	alarm := false
	if f.expiring != "" {
		d, err := parseDays(f.expiring)
		if err != nil {
			return usageError("--expiring %v", err)
		}
		list = nil
		for _, e := range all {
			if e.Expired {
				list = append(list, e)
			}
		}
		list = append(list, rollout.Expiring(all, d)...)
		alarm = len(list) > 0
	}
	for _, e := range list {
		alarm = alarm || e.Expired
	}
	if f.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if list == nil {
			list = []rollout.ExceptionStatus{}
		}
		if err := enc.Encode(map[string]any{"exceptions": list}); err != nil {
			return err
		}
	} else {
		tw := newTabWriter(stdout)
		fmt.Fprintln(tw, "#\tRULES\tOWNER\tSCOPE\tEXPIRES\tSTATE\tREASON")
		for _, e := range list {
			state := fmt.Sprintf("%d days left", e.DaysLeft)
			switch {
			case e.Expired:
				state = "EXPIRED"
			case e.Permanent:
				state = "permanent"
			}
			if !e.Native {
				state += " (CI only: " + e.CIOnly + ")"
			}
			expires := e.Expires
			if expires == "" {
				expires = "-"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Index, ruleIDs(e.Rules), safeLine(e.Owner), scopeText(e.Scope), expires, state, safeLine(e.Reason))
		}
		tw.Flush()
	}
	if alarm {
		return &exitError{code: ExitFindings}
	}
	return nil
}

func ruleIDs(ids []finding.RuleID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = string(id)
	}
	return strings.Join(s, ",")
}

func scopeText(s any) string {
	b, _ := json.Marshal(s)
	if string(b) == "{}" {
		return "everything"
	}
	return safeLine(string(b))
}

// manifest is an object as it belongs in a repository: without the empty
// status (and spec) that typed objects carry, which the API server fills.
func manifest(o any) (map[string]any, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		return nil, err
	}
	for _, k := range []string{"status", "spec"} {
		if v, ok := m[k].(map[string]any); ok && len(v) == 0 {
			delete(m, k)
		}
	}
	return m, nil
}
