package cli

import (
	"encoding/json"
	"io"

	"github.com/spf13/cobra"
)

// newRBACCommand is `kharden rbac`: questions to the effective-permission
// index (who-can, can) and the RBAC risk rules (risks).
func newRBACCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rbac",
		Short: "Ask who may do what through RBAC, and list the risky bindings",
		Long: "Answer RBAC questions from manifests or a live cluster the way the API server's authorizer\n" +
			"answers them: aggregated ClusterRoles resolved, RoleBindings and ClusterRoleBindings read,\n" +
			"ServiceAccounts with their implicit groups, and for every answer the binding, role and rule\n" +
			"it rests on.",
	}
	cmd.AddCommand(newRBACWhoCanCommand(stdin, stdout, stderr), newRBACCanCommand(stdin, stdout, stderr),
		newRBACRisksCommand(stdin, stdout, stderr))
	return cmd
}

// rbacWriteJSON prints v indented, as the answer commands' -o json.
func rbacWriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
