package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/pkg/access"
	"github.com/kharden/kharden/pkg/checks"
)

// accessReviewFlags are the flags of `kharden access review`.
type accessReviewFlags struct {
	output     string
	failOn     string
	configPath string
	inputFlags
}

func newAccessReviewCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	f := &accessReviewFlags{}
	cmd := &cobra.Command{
		Use:   "review [PATH...]",
		Short: "Review who holds cluster-admin rights, break-glass groups, and groups by style of rights",
		Long: "Review the RBAC objects of files or a live cluster as a whole:\n\n" +
			"  - who holds cluster-admin equivalent rights (every verb on every resource cluster-wide), and\n" +
			"    through which binding; system:masters is always listed, its members being allowed\n" +
			"    everything before RBAC is asked;\n" +
			"  - break-glass: when .kharden.yaml lists breakGlassGroups, every person (User) or team (Group)\n" +
			"    holding those rights outside them is a finding; ServiceAccounts and system: names are not\n" +
			"    (see rbac-cluster-admin-binding). A break-glass group no binding names is a warning;\n" +
			"  - every group a binding names, by the style of rights it holds: admin, security (writes RBAC\n" +
			"    or admission configuration, impersonates, or reads Secrets cluster-wide), ops (writes\n" +
			"    workloads or nodes cluster-wide), dev (writes workloads in some namespaces), other (writes\n" +
			"    something else), read-only, none; with the namespaces (\"*\" for cluster-wide).\n\n" +
			"Rules:\n" + accessReviewRuleList() + "\n" +
			"-o json prints {\"clusterAdmins\", \"findings\", \"groups\": [{\"name\", \"style\", \"namespaces\"}],\n" +
			"\"breakGlassGroups\", \"warnings\"}.\n\n" +
			"Exit codes: 0 no finding at or above --fail-on; 1 findings at or above --fail-on;\n" +
			"2 usage or input errors.",
		Example: "  kharden access review --cluster\n" +
			"  kharden access review deploy/ --config .kharden.yaml --fail-on high -o json",
		RunE: func(cmd *cobra.Command, args []string) error {
			paths := append(append([]string{}, args...), f.files...)
			return runAccessReview(cmd.Context(), f, f.useCluster(cmd, paths), paths, stdin, stdout, stderr, time.Now())
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table or json")
	fl.StringVar(&f.failOn, "fail-on", "", "exit 1 when an unsuppressed finding is at or above this severity (info, low, medium, high, critical)")
	fl.StringVar(&f.configPath, "config", "", "configuration file with breakGlassGroups (default: .kharden.yaml found upward from the first path)")
	f.inputFlags.addFlags(fl, "")
	return cmd
}

// accessReviewRuleList lists the review's rules for the help text.
func accessReviewRuleList() string {
	s := ""
	for _, c := range checks.AccessRules() {
		s += fmt.Sprintf("  %-42s %-8s %s\n", c.ID, c.Severity, c.Summary)
	}
	return s
}

func runAccessReview(ctx context.Context, f *accessReviewFlags, cluster bool, paths []string, stdin io.Reader, stdout, stderr io.Writer, now time.Time) error {
	output, err := answerOutput(f.output)
	if err != nil {
		return err
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
	review := access.ReviewAccess(in.inv, cfg, now)
	if err := writeAnswer(stdout, output, review); err != nil {
		return err
	}
	if err := finishInput(in.inv, review.Warnings, stderr); err != nil {
		return err
	}
	if failOn != nil && review.Exceeds(*failOn) {
		return &exitError{code: ExitFindings}
	}
	return nil
}
