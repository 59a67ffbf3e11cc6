package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/report"
)

func newRulesCommand(stdout io.Writer) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the rule catalogue",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cat := checks.Catalogue()
			switch output {
			case "markdown", "md":
				_, err := stdout.Write(checks.MarkdownDoc(cat))
				return err
			case "table", "":
			default:
				return usageError("rules: unknown output %q (want table or markdown)", output)
			}
			tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "RULE\tCATEGORY\tSEVERITY\tPSS\tENGINE\tSUMMARY")
			for _, c := range cat {
				level := string(c.Level)
				if level == string(finding.LevelNone) {
					level = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Category, c.Severity, level, c.Engine, c.Summary)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or markdown")
	return cmd
}

func newExplainCommand(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "explain RULE",
		Short: "Explain one rule: what it inspects, why, how to fix it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ok := checks.Lookup(checks.Catalogue(), finding.RuleID(args[0]))
			if !ok {
				return usageError("unknown rule %q (see `kharden rules`)", args[0])
			}
			_, err := io.WriteString(stdout, checks.Explain(c))
			return err
		},
	}
}

func newSchemaCommand(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of `scan -o json`",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := stdout.Write(report.Schema())
			return err
		},
	}
}
