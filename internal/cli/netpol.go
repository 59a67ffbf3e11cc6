package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/pkg/analysis/netpol"
	"github.com/kharden/kharden/pkg/network"
)

// newNetpolCommand is `kharden netpol`: reachability questions answered
// with the NetworkPolicy model (reach, matrix, coverage).
func newNetpolCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "netpol",
		Short: "Ask who can reach whom under the NetworkPolicies, and what is left open",
		Long: "Answer network questions from manifests or a live cluster the way NetworkPolicy is specified:\n" +
			"policyTypes defaulted as the API server does, selectors, namespaceSelector and podSelector together\n" +
			"or apart, ipBlock with except (IPv4 and IPv6), TCP, UDP and SCTP, named ports and port ranges, and\n" +
			"a connection allowed only when the source's egress and the destination's ingress both allow it.\n" +
			"An ipBlock is taken to match addresses outside the cluster only; pods with hostNetwork are not\n" +
			"governed by NetworkPolicy.",
	}
	cmd.AddCommand(newNetpolReachCommand(stdin, stdout, stderr), newNetpolMatrixCommand(stdin, stdout, stderr),
		newNetpolCoverageCommand(stdin, stdout, stderr), newNetpolGenerateCommand(stdin, stdout, stderr),
		newNetpolPlanCommand(stdin, stdout, stderr))
	return cmd
}

// netpolInputHelp ends the long help of the three answer commands.
const netpolInputHelp = "Input: files (-f, as `kharden scan` reads them) or the live cluster (--cluster, the default when no\n" +
	"file is given and a kubeconfig is present), of which namespaces, pods and their workloads,\n" +
	"NetworkPolicies and Services are read. From files, a workload is a bare Pod or a controller\n" +
	"(Deployment, StatefulSet, ...) not owned by another object; from a cluster, each running pod, named\n" +
	"by the workload that made it where that helps.\n\n" +
	"Exit codes: 0 answered; 2 usage or input errors (the answer is still printed when the input could be\n" +
	"partly read: a policy with an unreadable part is kept without that part, which never widens it)."

// netpolReachFlags are the flags of `kharden netpol reach`.
type netpolReachFlags struct {
	from, to, port, output string
	inputFlags
}

func newNetpolReachCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	f := &netpolReachFlags{}
	cmd := &cobra.Command{
		Use:   "reach --from ENDPOINT --to ENDPOINT [--port PORT[/PROTOCOL]]",
		Short: "Say whether one endpoint may connect to another, and which policies decide it",
		Long: "Decide whether --from may open a connection to --to, and explain both halves: the source's egress\n" +
			"(not isolated, or isolated by policies X and allowed by rule N of one of them) and the destination's\n" +
			"ingress. Endpoints are NAMESPACE/NAME (a pod, or the pods of a workload of that name),\n" +
			"NAMESPACE/KIND/NAME, or ip:ADDRESS for an address outside the cluster. A name that stands for\n" +
			"several workloads is answered for each.\n\n" +
			"--port is a number (443, 53/UDP), a named container port of the destination (http, dns/UDP), or\n" +
			"any/PROTOCOL for some port of the protocol. Without it, every port the destination declares is\n" +
			"asked, or some TCP port when it declares none. A some-port question is allowed only when one same\n" +
			"port passes both sides. Rules are numbered from 1 in the policy's ingress or egress list.\n\n" +
			"-o json prints {\"from\", \"to\", \"port\" (0: some port), \"portName\", \"protocol\", \"allowed\",\n" +
			"\"noCommonPort\", \"egress\": {\"allowed\", \"outside\", \"hostNetwork\", \"isolated\", \"policies\": [{\"kind\",\n" +
			"\"namespace\", \"name\", ...}], \"allowedBy\": [{\"policy\": {...}, \"rule\", \"text\"}], \"ports\"},\n" +
			"\"ingress\": {...}}, or an array of them when there are several verdicts (several workloads or ports).\n\n" +
			netpolInputHelp,
		Example: "  kharden netpol reach --from shop/web --to shop/db --port 5432 -f deploy/\n" +
			"  kharden netpol reach --from shop/Deployment/web --to ip:169.254.169.254 --port any/TCP --cluster\n" +
			"  kharden netpol reach --from ip:203.0.113.9 --to shop/web --port http -f deploy/ -o json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runNetpolReach(cmd.Context(), f, f.useCluster(cmd, f.files), stdin, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.from, "from", "", "source endpoint: NAMESPACE/NAME, NAMESPACE/KIND/NAME or ip:ADDRESS")
	fl.StringVar(&f.to, "to", "", "destination endpoint: NAMESPACE/NAME, NAMESPACE/KIND/NAME or ip:ADDRESS")
	fl.StringVar(&f.port, "port", "", "port: N, N/PROTOCOL, a port name of the destination, or any/PROTOCOL (default: its declared ports)")
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table or json")
	f.inputFlags.addFlags(fl, "")
	return cmd
}

func runNetpolReach(ctx context.Context, f *netpolReachFlags, cluster bool, stdin io.Reader, stdout, stderr io.Writer) error {
	output, err := answerOutput(f.output)
	if err != nil {
		return err
	}
	if f.from == "" || f.to == "" {
		return usageError("both --from and --to are required (NAMESPACE/NAME, NAMESPACE/KIND/NAME or ip:ADDRESS)")
	}
	in, err := f.load(ctx, cluster, f.files, network.NetpolKinds(), false, stdin, stderr)
	if err != nil {
		return err
	}
	m := netpol.For(in.inv)
	answer, err := network.Reach(m, network.ReachQuestion{From: f.from, To: f.to, Port: f.port})
	if err != nil {
		// Still say what was wrong with the input: a missing endpoint is
		// often a file that did not parse.
		if ferr := finishNetpol(in, m, nil, stderr); ferr != nil {
			return &exitError{code: ExitUsage, err: fmt.Errorf("%v (and %v)", err, ferr)}
		}
		return usageError("%v", err)
	}
	if err := writeAnswer(stdout, output, answer); err != nil {
		return err
	}
	return finishNetpol(in, m, answer.Warnings, stderr)
}

// netpolAnswerFlags are the flags of `kharden netpol matrix` and
// `kharden netpol coverage`.
type netpolAnswerFlags struct {
	namespace, output string
	inputFlags
}

func newNetpolMatrixCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	f := &netpolAnswerFlags{}
	cmd := &cobra.Command{
		Use:   "matrix [-n NAMESPACE]",
		Short: "Print who may connect to whom: a workload-by-workload table with the ports allowed",
		Long: "Print a table of the workloads of a namespace (-n) or of the whole input: one row per source, one\n" +
			"numbered column per destination, each cell the ports the source may open to the destination: its\n" +
			"declared ports that are allowed (5432/TCP), */PROTOCOL when every port of the protocol passes, *\n" +
			"for every port of every protocol, some/PROTOCOL when some port passes but none the destination\n" +
			"declares, - when nothing passes. Three more columns give the traffic with the outside: from some\n" +
			"address outside the cluster, to some public address, to a cloud metadata endpoint\n" +
			"(169.254.169.254, fd00:ec2::254). Computed from the cluster-wide reachability summary, so a whole\n" +
			"cluster is answered in seconds (the table itself grows with the square of the workloads).\n\n" +
			"-o json prints {\"namespace\", \"workloads\": [names], \"allowed\": [{\"from\", \"to\", \"ports\"}] (the\n" +
			"cells that are not -), \"external\": [{\"workload\", \"fromOutside\", \"toInternet\", \"toMetadata\"}]}.\n\n" +
			netpolInputHelp,
		Example: "  kharden netpol matrix -n shop -f deploy/\n" +
			"  kharden netpol matrix -n shop --cluster -o json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runNetpolMatrix(cmd.Context(), f, f.useCluster(cmd, f.files), stdin, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.namespace, "namespace", "n", "", "namespace whose workloads make the table (default: every namespace)")
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table or json")
	f.inputFlags.addFlags(fl, "")
	return cmd
}

func runNetpolMatrix(ctx context.Context, f *netpolAnswerFlags, cluster bool, stdin io.Reader, stdout, stderr io.Writer) error {
	return runNetpolView(ctx, f, cluster, stdin, stdout, stderr, func(s *netpol.Summary, ns string) (tableWriter, error) {
		return network.BuildMatrix(s, ns)
	})
}

// runNetpolView loads the input, builds a view of the reachability summary
// and prints it as a table or JSON.
func runNetpolView(ctx context.Context, f *netpolAnswerFlags, cluster bool, stdin io.Reader, stdout, stderr io.Writer,
	build func(*netpol.Summary, string) (tableWriter, error)) error {
	output, err := answerOutput(f.output)
	if err != nil {
		return err
	}
	in, err := f.load(ctx, cluster, f.files, network.NetpolKinds(), false, stdin, stderr)
	if err != nil {
		return err
	}
	m := netpol.For(in.inv)
	view, err := build(netpol.SummaryFor(in.inv), f.namespace)
	if err != nil {
		return usageError("%v", err)
	}
	if err := writeAnswer(stdout, output, view); err != nil {
		return err
	}
	return finishNetpol(in, m, nil, stderr)
}

func newNetpolCoverageCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	f := &netpolAnswerFlags{}
	cmd := &cobra.Command{
		Use:   "coverage [-n NAMESPACE]",
		Short: "Show how far NetworkPolicies isolate each namespace, and the workloads left open",
		Long: "For each namespace (or the one of -n): its workloads (pods, from a cluster) and policies, and for\n" +
			"ingress and egress whether every workload is isolated (full), some (partial) or none (none; empty\n" +
			"when no workload runs on the pod network), whether a policy with podSelector {} isolates every pod\n" +
			"(namespace-wide), and the workloads left open. Pods with hostNetwork are listed apart: NetworkPolicy\n" +
			"does not govern them.\n\n" +
			"-o json prints {\"namespaces\": [{\"namespace\", \"workloads\", \"policies\", \"hostNetwork\", \"ingress\":\n" +
			"{\"isolation\", \"isolated\", \"namespaceWide\", \"open\": [names]}, \"egress\": {...}}]}.\n\n" +
			netpolInputHelp,
		Example: "  kharden netpol coverage -f deploy/\n" +
			"  kharden netpol coverage --cluster -o json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runNetpolCoverage(cmd.Context(), f, f.useCluster(cmd, f.files), stdin, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.namespace, "namespace", "n", "", "only this namespace (default: every namespace)")
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table or json")
	f.inputFlags.addFlags(fl, "")
	return cmd
}

func runNetpolCoverage(ctx context.Context, f *netpolAnswerFlags, cluster bool, stdin io.Reader, stdout, stderr io.Writer) error {
	return runNetpolView(ctx, f, cluster, stdin, stdout, stderr, func(s *netpol.Summary, ns string) (tableWriter, error) {
		return network.BuildCoverage(s, ns)
	})
}

// finishNetpol prints the model's problems and the input's diagnostics
// after the answer; unreadable policies and input errors make the exit
// code 2.
func finishNetpol(in *loadedInput, m *netpol.Model, warnings []string, stderr io.Writer) error {
	warnings = append([]string(nil), warnings...)
	errs := 0
	for _, p := range m.Problems {
		if p.Warning {
			warnings = append(warnings, p.String())
			continue
		}
		fmt.Fprintln(stderr, "Error:", safeLine(p.String()))
		errs++
	}
	if err := finishInput(in.inv, warnings, stderr); err != nil {
		return err
	}
	if errs > 0 {
		return &exitError{code: ExitUsage, err: fmt.Errorf("%d NetworkPolicy problem(s): the answer may be incomplete", errs)}
	}
	return nil
}
