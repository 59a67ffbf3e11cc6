package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/pkg/access"
)

// rbacWhoCanFlags are the flags of `kharden rbac who-can`.
type rbacWhoCanFlags struct {
	namespace string
	name      string
	apiGroup  string
	output    string
	inputFlags
}

func newRBACWhoCanCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	f := &rbacWhoCanFlags{}
	cmd := &cobra.Command{
		Use:   "who-can VERB RESOURCE[/SUBRESOURCE]",
		Short: "List the users, groups and ServiceAccounts allowed a request, and through what",
		Long: "List every subject allowed VERB on RESOURCE (plural, singular or short name, resource.group,\n" +
			"resource/subresource) or on a non-resource URL (/healthz), and through which binding, role and\n" +
			"rule (rules are numbered from 1 in the role's effective rules; an aggregated ClusterRole's rule\n" +
			"names the ClusterRole it came from). system:masters is always listed: the API server allows its\n" +
			"members everything before RBAC is asked.\n\n" +
			"Without -n the request is cluster-wide (no namespace: ClusterRoleBindings only, as kubectl auth\n" +
			"can-i --all-namespaces asks). With -n NS, RoleBindings in NS count too. With -A every namespace is\n" +
			"answered at once: per subject, the namespaces where it may (\"*\" for every namespace).\n\n" +
			"Input: files (-f, as `kharden scan` reads them) or the live cluster (--cluster, the default when no\n" +
			"file is given and a kubeconfig is present), of which only RBAC objects and what they name are read;\n" +
			"resource names are resolved with the cluster's discovery. A resource not known is asked as written,\n" +
			"with a warning.\n\n" +
			"-o json prints {\"request\", \"subjects\": [{\"kind\", \"name\", \"namespace\" (ServiceAccounts),\n" +
			"\"via\": [{\"binding\", \"role\", \"rule\", \"ruleText\", \"aggregatedFrom\"}]}], \"warnings\"}.\n\n" +
			"Exit codes: 0 answered; 2 usage or input errors (the answer is still printed when the input\n" +
			"could be partly read).",
		Example: "  kharden rbac who-can get secrets -n shop -f deploy/\n" +
			"  kharden rbac who-can create pods/exec -A --cluster\n" +
			"  kharden rbac who-can patch deployments.apps --name web -n shop -o json\n" +
			"  kharden rbac who-can get /metrics --cluster --context prod",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRBACWhoCan(cmd.Context(), f, f.useCluster(cmd, f.files), args, stdin, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.namespace, "namespace", "n", "", "namespace of the request (default: cluster-wide)")
	fl.StringVar(&f.name, "name", "", "name of the object the request is about (counts for rules with resourceNames)")
	fl.StringVar(&f.apiGroup, "api-group", "", "API group of the resource (default: resolved from its name)")
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table or json")
	f.inputFlags.addFlags(fl, "answer for every namespace: per subject, where it may (\"*\" for every namespace)")
	return cmd
}

func runRBACWhoCan(ctx context.Context, f *rbacWhoCanFlags, cluster bool, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	output, err := answerOutput(f.output)
	if err != nil {
		return err
	}
	q := access.Question{Verb: args[0], Resource: args[1], APIGroup: f.apiGroup, Namespace: f.namespace, Name: f.name,
		AllNamespaces: f.allNamespaces}
	if err := q.Validate(); err != nil {
		return usageError("%v", err)
	}
	in, err := f.load(ctx, cluster, f.files, access.RBACKinds(), true, stdin, stderr)
	if err != nil {
		return err
	}
	answer, err := access.WhoCan(in.inv, q, in.resources)
	if err != nil {
		return usageError("%v", err)
	}
	if err := writeAnswer(stdout, output, answer); err != nil {
		return err
	}
	return finishInput(in.inv, answer.Warnings, stderr)
}
