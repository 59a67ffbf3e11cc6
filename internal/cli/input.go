package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"

	"github.com/kharden/kharden/pkg/access"
	"github.com/kharden/kharden/pkg/inventory"
)

// inputFlags are the inputs the analysis commands (rbac, access review,
// netpol) share: files (as scan reads them) or a live cluster, of which
// only the kinds the command needs are read.
type inputFlags struct {
	files            []string
	values           []string
	set              []string
	setString        []string
	releaseName      string
	kubeVersion      string
	apiVersions      []string
	defaultNamespace string
	clusterFlags
}

// addFlags registers the input flags. allNamespaces is the usage of -A for
// a command that gives it a meaning; "" hides the flag.
func (f *inputFlags) addFlags(fl *pflag.FlagSet, allNamespaces string) {
	fl.StringArrayVarP(&f.files, "filename", "f", nil, "file, directory, chart or kustomization to read (repeatable; - for stdin)")
	fl.StringArrayVar(&f.values, "values", nil, "Helm values file (repeatable)")
	fl.StringArrayVar(&f.set, "set", nil, "Helm value key=value (repeatable)")
	fl.StringArrayVar(&f.setString, "set-string", nil, "Helm string value key=value (repeatable)")
	fl.StringVar(&f.releaseName, "release-name", "", "Helm release name (default release-name)")
	fl.StringVar(&f.kubeVersion, "kube-version", "", "Kubernetes version Helm charts are rendered for")
	fl.StringArrayVar(&f.apiVersions, "api-versions", nil, "API versions available to Helm charts (repeatable)")
	fl.StringVar(&f.defaultNamespace, "default-namespace", "default",
		"files: namespace of namespaced objects without one (and of Helm releases), as kubectl apply would use")
	f.clusterFlags.addFlags(fl)
	fl.Lookup("cluster").Usage = "read the live cluster of the kubeconfig (the default when no file is given and a kubeconfig is present)"
	if a := fl.Lookup("all-namespaces"); a != nil {
		if allNamespaces == "" {
			a.Hidden = true
		} else {
			a.Usage = allNamespaces
		}
	}
}

// loadedInput is what a command answers from.
type loadedInput struct {
	inv       *inventory.Inventory
	resources access.Resources
	// inputs name what was read: the paths, or the cluster's context.
	inputs []string
	// config reaches the cluster that was read; nil for files.
	config *rest.Config
}

// useCluster decides between files and the cluster as scan does: --cluster,
// or no file given and a kubeconfig flag or file present.
func (f *inputFlags) useCluster(cmd *cobra.Command, paths []string) bool {
	return f.cluster || (len(paths) == 0 && (f.clusterFlags.explicit(cmd.Flags()) || kubeconfigPresent()))
}

// load reads the input; resolve asks the cluster's discovery for resource
// names too. Input problems inside files are diagnostics on the inventory,
// reported by finishInput; errors here are usage errors.
func (f *inputFlags) load(ctx context.Context, cluster bool, paths []string, kinds []schema.GroupKind, resolve bool, stdin io.Reader, stderr io.Writer) (*loadedInput, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if cluster && len(paths) > 0 {
		return nil, usageError("--cluster reads the live cluster: give no files with it")
	}
	if !cluster && len(paths) == 0 {
		return nil, usageError("no input: give files or directories (-f, or - for stdin), or --cluster with a kubeconfig")
	}
	if !cluster {
		inv, err := inventory.Load(ctx, inventory.LoadOptions{
			Paths: paths, Stdin: stdin, DefaultNamespace: f.defaultNamespace,
			Helm: inventory.HelmOptions{ValuesFiles: f.values, Set: f.set, SetString: f.setString,
				ReleaseName: f.releaseName, Namespace: f.defaultNamespace, KubeVersion: f.kubeVersion, APIVersions: f.apiVersions},
		})
		if err != nil {
			return nil, usageError("%v", err)
		}
		return &loadedInput{inv: inv, resources: access.FileResources(inv), inputs: paths}, nil
	}
	// Every namespace: -n of these commands is the namespace of the
	// question, not a restriction of what is read.
	target, err := f.clusterFlags.resolve("")
	if err != nil {
		return nil, usageError("%v", err)
	}
	target.opts.Kinds = kinds
	inv, err := loadCluster(ctx, target, stderr)
	if err != nil {
		return nil, usageError("%v", err)
	}
	in := &loadedInput{inv: inv, resources: access.FileResources(inv), inputs: []string{target.label}, config: target.opts.Config}
	if resolve {
		res, err := access.DiscoveryResources(ctx, target.opts.Config, target.opts.RequestTimeout)
		if err != nil {
			return nil, usageError("%s: %v", target.label, err)
		}
		in.resources = res
	}
	return in, nil
}

// finishInput prints the inventory's warnings and errors on stderr, after
// the answer; input errors make the exit code 2.
func finishInput(inv *inventory.Inventory, warnings []string, stderr io.Writer) error {
	for _, w := range warnings {
		fmt.Fprintln(stderr, "Warning:", safeLine(w))
	}
	var errs int
	for _, d := range inv.Diagnostics {
		if d.Warning {
			fmt.Fprintln(stderr, "Warning:", safeLine(d.String()))
		} else {
			fmt.Fprintln(stderr, "Error:", safeLine(d.String()))
			errs++
		}
	}
	if errs > 0 {
		return &exitError{code: ExitUsage, err: fmt.Errorf("%d input error(s): the answer may be incomplete", errs)}
	}
	return nil
}

// safeLine keeps text from the input from driving the terminal.
func safeLine(s string) string {
	var b []rune
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			b = append(b, ' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			b = append(b, []rune(fmt.Sprintf("\\u%04x", r))...)
		default:
			b = append(b, r)
		}
	}
	return string(b)
}

// answerOutput checks an output flag of the answer commands.
func answerOutput(o string) (string, error) {
	switch o {
	case "table", "json":
		return o, nil
	}
	return "", usageError("unknown output format %q (want table or json)", o)
}

// tableWriter is an answer that prints itself as a table (and marshals as
// JSON).
type tableWriter interface{ WriteTable(io.Writer) error }

// writeAnswer prints an analysis answer in the output format answerOutput
// accepted: indented JSON, or its table.
func writeAnswer(w io.Writer, output string, answer tableWriter) error {
	if output == "json" {
		return rbacWriteJSON(w, answer)
	}
	return answer.WriteTable(w)
}
