package cli

import (
	"io"

	"github.com/spf13/cobra"
)

// newAccessCommand is `kharden access`: how people and tools reach the
// cluster (kubeconfig audit) and what they hold there (access review).
func newAccessCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "access",
		Short: "Review access: who holds which rights, and the kubeconfigs people reach clusters with",
	}
	cmd.AddCommand(newAccessReviewCommand(stdin, stdout, stderr), newAccessKubeconfigCommand(stdout, stderr))
	return cmd
}
