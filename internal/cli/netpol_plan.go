package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kharden/kharden/pkg/network"
)

// netpolPlanFlags are the flags of `kharden netpol plan`.
type netpolPlanFlags struct {
	output           string
	configPath       string
	dnsNamespace     string
	dnsSelector      string
	ingressNamespace string
	ingressSelector  string
	inputFlags
}

func newNetpolPlanCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	f := &netpolPlanFlags{}
	cmd := &cobra.Command{
		Use:   "plan (-f PATH | --cluster)",
		Short: "Plan a phased rollout of default-deny NetworkPolicies, with the flows each phase would cut",
		Long: "Plan default deny for every namespace in three phases: 1) high-risk namespaces (production: listed in\n" +
			".kharden.yaml productionNamespaces or labelled env, environment or tier = prod or production; shared\n" +
			"infrastructure: ingress controllers, monitoring, CI/CD agents, recognised by namespace names and label\n" +
			"values), 2) the other namespaces with workloads, 3) the rest. kube-system (and the DNS namespace) is\n" +
			"left to be isolated by hand.\n\n" +
			"Each phase gets default-deny (ingress and egress), allow-dns, and the allows that keep the flows the\n" +
			"input declares: the annotation " + network.DependsOnAnnotation + " on workloads (\"shop/db:5432/TCP,\n" +
			"ip:10.0.0.0/8:443\"), Ingress backends (from the ingress controller) and LoadBalancer/NodePort Services\n" +
			"(from outside). Every client a Service's pods accept today is a flow too: the plan lists those it\n" +
			"would cut, computed by adding each phase's policies to the input and asking the model again.\n\n" +
			"-o table (default) lists per phase the namespaces, policies, flows cut and flows kept; -o json the same\n" +
			"as {\"phases\": [{\"phase\", \"title\", \"namespaces\", \"policies\", \"flowsCut\", \"flowsKept\"}], \"skipped\",\n" +
			"\"warnings\", \"problems\"}; -o yaml the policies of every phase, ready for review and kubectl apply.\n\n" +
			"Exit codes: 0 planned; 2 usage or input errors (malformed annotations included; the plan is still\n" +
			"printed).",
		Example: "  kharden netpol plan -f deploy/\n" +
			"  kharden netpol plan --cluster -o yaml > rollout.yaml\n" +
			"  kharden netpol plan -f deploy/ --config .kharden.yaml -o json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runNetpolPlan(cmd.Context(), f, f.useCluster(cmd, f.files), stdin, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table, json or yaml (the policies)")
	fl.StringVar(&f.configPath, "config", "", "configuration file with productionNamespaces (default: .kharden.yaml found upward from the first path)")
	fl.StringVar(&f.dnsNamespace, "dns-namespace", network.DefaultDNS.Namespace, "namespace of the cluster DNS pods")
	fl.StringVar(&f.dnsSelector, "dns-selector", metav1.FormatLabelSelector(network.DefaultDNS.Selector), "label selector of the cluster DNS pods")
	fl.StringVar(&f.ingressNamespace, "ingress-namespace", network.DefaultIngressController.Namespace, "namespace of the ingress controller")
	fl.StringVar(&f.ingressSelector, "ingress-selector", metav1.FormatLabelSelector(network.DefaultIngressController.Selector),
		"label selector of the ingress controller's pods")
	f.inputFlags.addFlags(fl, "")
	return cmd
}

func runNetpolPlan(ctx context.Context, f *netpolPlanFlags, cluster bool, stdin io.Reader, stdout, stderr io.Writer) error {
	switch f.output {
	case "table", "json", "yaml":
	default:
		return usageError("unknown output format %q (want table, json or yaml)", f.output)
	}
	dns, err := planApp("--dns", f.dnsNamespace, f.dnsSelector)
	if err != nil {
		return err
	}
	ingress, err := planApp("--ingress", f.ingressNamespace, f.ingressSelector)
	if err != nil {
		return err
	}
	in, err := f.load(ctx, cluster, f.files, network.PlanKinds(), false, stdin, stderr)
	if err != nil {
		return err
	}
	configFrom := "."
	if len(f.files) > 0 {
		configFrom = f.files[0]
	}
	cfg, err := loadConfig(f.configPath, configFrom)
	if err != nil {
		return usageError("%v", err)
	}
	plan, err := network.BuildPlan(in.inv, network.PlanOptions{Config: cfg, DNS: dns, IngressController: ingress})
	if err != nil {
		return usageError("%s", safeLine(err.Error()))
	}
	switch f.output {
	case "json":
		err = plan.WriteJSON(stdout)
	case "yaml":
		err = plan.WriteYAML(stdout)
	default:
		err = plan.WriteTable(stdout)
	}
	if err != nil {
		return err
	}
	for _, p := range plan.Problems {
		fmt.Fprintln(stderr, "Error:", safeLine(p))
	}
	if err := finishInput(in.inv, plan.Warnings, stderr); err != nil {
		return err
	}
	if len(plan.Problems) > 0 {
		return &exitError{code: ExitUsage, err: fmt.Errorf("%d input error(s): flows they declare are not in the plan", len(plan.Problems))}
	}
	return nil
}

// planApp reads a namespace and a label selector flag pair.
func planApp(flag, ns, selector string) (network.AppRef, error) {
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return network.AppRef{}, usageError("%s-namespace %q: %s", flag, ns, errs[0])
	}
	sel, err := metav1.ParseToLabelSelector(selector)
	if err != nil {
		return network.AppRef{}, usageError("%s-selector %q: %v", flag, selector, err)
	}
	return network.AppRef{Namespace: ns, Selector: sel}, nil
}
