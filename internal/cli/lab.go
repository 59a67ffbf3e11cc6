package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/internal/clusterbin"
	"github.com/kharden/kharden/pkg/lab"
)

// labFlags are the flags shared by the `kharden lab` commands.
type labFlags struct {
	dir        string
	encryption bool
	timeout    time.Duration
	purge      bool
	list       bool
}

func newLabCommand(stdout, stderr io.Writer) *cobra.Command {
	f := &labFlags{}
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Run a local Kubernetes API server and load the incident scenarios into it",
		Long: "kharden lab runs etcd, kube-apiserver and kube-controller-manager on this machine, from the\n" +
			"binaries hack/cluster-binaries.sh builds, as background processes that outlive the command. The API\n" +
			"server listens on 127.0.0.1 only, authorises with RBAC and Node, admits with Pod Security, writes an\n" +
			"audit log, and can encrypt Secrets at rest. There is no kubelet: pods are objects, not containers.\n\n" +
			"The lab directory ($" + lab.DirEnv + ", default ~/.cache/kharden/lab) holds its certificates, data,\n" +
			"logs, the audit log and the admin kubeconfig.",
		Example: "  kharden lab up\n" +
			"  export KUBECONFIG=$(kharden lab kubeconfig)\n" +
			"  kharden lab scenario all\n" +
			"  kharden scan --cluster\n" +
			"  kharden lab down --purge",
	}
	cmd.PersistentFlags().StringVar(&f.dir, "dir", "", "lab directory (default $"+lab.DirEnv+", else ~/.cache/kharden/lab)")

	up := &cobra.Command{
		Use:   "up",
		Short: "Start the lab (a no-op when it is already up)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			assets, _ := clusterbin.Assets()
			l := lab.Open(f.dir)
			st, already, err := l.Up(cmd.Context(), lab.UpOptions{Assets: assets, Encryption: f.encryption, ReadyTimeout: f.timeout, Progress: stderr})
			if errors.Is(err, lab.ErrBinariesMissing) {
				return &exitError{code: ExitUsage, err: err}
			}
			if err != nil {
				return &exitError{code: ExitUsage, err: fmt.Errorf("lab up: %w", err)}
			}
			if already {
				fmt.Fprintf(stdout, "The lab is already up at %s.\n", st.Server)
			} else {
				fmt.Fprintf(stdout, "The lab is up at %s.\n", st.Server)
			}
			fmt.Fprintf(stdout, "\nUse it:\n  export KUBECONFIG=%s\n  kubectl get namespaces\n  kharden lab scenario all\n  kharden scan --cluster\n"+
				"\nAudit log: %s\nStop it:   kharden lab down\n", st.Kubeconfig, st.AuditLog)
			return nil
		},
	}
	up.Flags().BoolVar(&f.encryption, "encryption", false, "encrypt Secrets at rest (aescbc EncryptionConfiguration)")
	up.Flags().DurationVar(&f.timeout, "timeout", 90*time.Second, "how long to wait for the API server to be ready")

	status := &cobra.Command{
		Use:   "status",
		Short: "Show whether the lab is up, its ports, pids and kubeconfig",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := lab.Open(f.dir).Status(cmd.Context())
			if err != nil {
				return &exitError{code: ExitUsage, err: err}
			}
			writeLabStatus(stdout, st)
			return nil
		},
	}

	down := &cobra.Command{
		Use:   "down",
		Short: "Stop every lab process (SIGTERM, then SIGKILL); --purge also removes its data",
		Args:  cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			l := lab.Open(f.dir)
			pids, err := l.Down(lab.DownOptions{Purge: f.purge})
			if err != nil {
				return &exitError{code: ExitUsage, err: fmt.Errorf("lab down: %w", err)}
			}
			switch {
			case len(pids) == 0:
				fmt.Fprintln(stdout, "The lab is not running.")
			default:
				fmt.Fprintf(stdout, "The lab is down (stopped %d processes).\n", len(pids))
			}
			if f.purge {
				fmt.Fprintf(stdout, "Removed %s.\n", l.Dir)
			} else if len(pids) > 0 {
				fmt.Fprintf(stdout, "Its data stays in %s (kharden lab up starts it again; --purge removes it).\n", l.Dir)
			}
			return nil
		},
	}
	down.Flags().BoolVar(&f.purge, "purge", false, "remove the lab directory: data, certificates, logs, kubeconfig")

	kubeconfig := &cobra.Command{
		Use:   "kubeconfig",
		Short: "Print the path of the lab's admin kubeconfig",
		Args:  cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			fmt.Fprintln(stdout, lab.Open(f.dir).KubeconfigPath())
			return nil
		},
	}

	scenario := &cobra.Command{
		Use:   "scenario NAME|all",
		Short: "Load an incident scenario (or all six) into the running lab",
		Long: "Load the objects of an incident into the lab, and write the log files an incident that lives in\n" +
			"logs needs into the lab directory. Scenarios: " + strings.Join(lab.ScenarioNames(), ", ") + ".\n" +
			"plaintext-secrets restarts the API server with encryption at rest (it stays on).",
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.list {
				writeScenarioList(stdout)
				return nil
			}
			if len(args) != 1 {
				return usageError("give one scenario name, or all (kharden lab scenario --list)")
			}
			names := args
			if args[0] == "all" {
				names = lab.ScenarioNames()
			} else if _, ok := lab.LookupScenario(args[0]); !ok {
				return usageError("unknown scenario %q (one of: %s, or all)", args[0], strings.Join(lab.ScenarioNames(), ", "))
			}
			l := lab.Open(f.dir)
			for _, name := range names {
				res, err := l.ApplyScenario(cmd.Context(), name, stderr)
				if err != nil {
					return &exitError{code: ExitUsage, err: err}
				}
				sc, _ := lab.LookupScenario(name)
				fmt.Fprintf(stdout, "%d %s: %d objects", sc.Incident, res.Name, len(res.Objects))
				for _, file := range res.Files {
					fmt.Fprintf(stdout, ", %s", file)
				}
				fmt.Fprintln(stdout)
				for _, n := range res.Notes {
					fmt.Fprintf(stdout, "  %s\n", n)
				}
			}
			return nil
		},
	}
	scenario.Flags().BoolVar(&f.list, "list", false, "list the scenarios")

	cmd.AddCommand(up, status, down, kubeconfig, scenario)
	return cmd
}

func writeLabStatus(w io.Writer, st *lab.Status) {
	state := "down"
	switch {
	case st.Up:
		state = "up"
	case len(st.Components) > 0:
		state = "partly up (kharden lab up restarts it, kharden lab down stops it)"
	}
	fmt.Fprintf(w, "Lab:        %s\n", state)
	fmt.Fprintf(w, "Directory:  %s\n", st.Dir)
	if st.Server != "" {
		fmt.Fprintf(w, "Server:     %s\n", st.Server)
	}
	fmt.Fprintf(w, "Kubeconfig: %s\n", st.Kubeconfig)
	fmt.Fprintf(w, "Encryption: %v\n", st.Encryption)
	if len(st.Components) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPONENT\tPID\tPORT\tSTATE\tLOG")
	for _, c := range st.Components {
		port, run := "-", "stopped"
		if c.Port > 0 {
			port = fmt.Sprint(c.Port)
		}
		if c.Running {
			run = "running"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", c.Name, c.PID, port, run, c.Log)
	}
	tw.Flush()
}

func writeScenarioList(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tNAME\tINCIDENT")
	for _, s := range lab.Scenarios() {
		fmt.Fprintf(tw, "%d\t%s\t%s\n", s.Incident, s.Name, s.Title)
	}
	tw.Flush()
}
