package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/pkg/access"
)

// rbacCanFlags are the flags of `kharden rbac can`.
type rbacCanFlags struct {
	groups    []string
	namespace string
	output    string
	inputFlags
}

func newRBACCanCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	f := &rbacCanFlags{}
	cmd := &cobra.Command{
		Use:   "can SUBJECT",
		Short: "List what a user, group or ServiceAccount may do, and through what",
		Long: "List every rule SUBJECT holds, cluster-wide first, then per namespace, each with the binding,\n" +
			"role and rule it comes from. SUBJECT is User:NAME (or a bare NAME), Group:NAME, or\n" +
			"ServiceAccount:NAMESPACE/NAME (also sa:NAMESPACE/NAME and system:serviceaccount:NAMESPACE:NAME);\n" +
			"the prefix is read without regard to case.\n\n" +
			"A User is asked with system:authenticated and the groups given with --group (as an\n" +
			"authenticator would add them); a ServiceAccount with the groups the API server gives it\n" +
			"(system:serviceaccounts, system:serviceaccounts:NAMESPACE, system:authenticated); a Group as a\n" +
			"member of that group alone. -n shows one namespace (and the cluster-wide rules, which apply\n" +
			"there too).\n\n" +
			"-o json prints {\"subject\", \"privileged\", \"clusterAdmin\", \"namespaces\": [{\"namespace\" (\"\" for\n" +
			"cluster-wide), \"rules\": [{\"verbs\", \"apiGroups\", \"resources\", \"resourceNames\", \"nonResourceURLs\",\n" +
			"\"via\"}]}], \"warnings\"}.\n\n" +
			"Exit codes: 0 answered; 2 usage or input errors.",
		Example: "  kharden rbac can sa:shop/ci -f deploy/\n" +
			"  kharden rbac can alice@example.com --group devs --cluster\n" +
			"  kharden rbac can Group:auditors -n payments -o json",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRBACCan(cmd.Context(), f, f.useCluster(cmd, f.files), args[0], stdin, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.groups, "group", nil, "a group the user belongs to (repeatable; Users only)")
	fl.StringVarP(&f.namespace, "namespace", "n", "", "show this namespace only (and the cluster-wide rules)")
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table or json")
	f.inputFlags.addFlags(fl, "")
	return cmd
}

func runRBACCan(ctx context.Context, f *rbacCanFlags, cluster bool, subject string, stdin io.Reader, stdout, stderr io.Writer) error {
	output, err := answerOutput(f.output)
	if err != nil {
		return err
	}
	sub, err := access.ParseSubject(subject, f.groups)
	if err != nil {
		return usageError("%v", err)
	}
	in, err := f.load(ctx, cluster, f.files, access.RBACKinds(), false, stdin, stderr)
	if err != nil {
		return err
	}
	answer, err := access.Can(in.inv, sub, f.namespace)
	if err != nil {
		return usageError("%v", err)
	}
	if err := writeAnswer(stdout, output, answer); err != nil {
		return err
	}
	return finishInput(in.inv, answer.Warnings, stderr)
}
