package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/kharden/kharden/internal/testcluster"
	"github.com/kharden/kharden/pkg/inventory"
)

// planJSON is the shape of `netpol plan -o json`.
type planJSON struct {
	Phases []struct {
		Phase      int
		Title      string
		Namespaces []struct{ Name, Reason string }
		Policies   []struct{ Namespace, Name, Generator, Purpose string }
		FlowsCut   []planFlowJSON
		FlowsKept  []planFlowJSON
	}
	Skipped  []struct{ Name, Reason string }
	Warnings []string
	Problems []string
}

type planFlowJSON struct {
	From, To, Protocol, Source, Via string
	Port                            int32
}

func parsePlan(t *testing.T, stdout string) planJSON {
	t.Helper()
	var p planJSON
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("output is not the plan JSON: %v\n%s", err, stdout)
	}
	return p
}

func TestNetpolPlan(t *testing.T) {
	noKubeconfig(t)
	code, stdout, stderr := runNetpolCmd(t, "", "netpol", "plan", "-f", netpolFixture, "-o", "json")
	if code != ExitOK || stderr != "" {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	p := parsePlan(t, stdout)
	if len(p.Phases) != 3 || len(p.Phases[0].Namespaces) != 3 || p.Phases[0].Namespaces[2].Name != "shop" || len(p.Skipped) != 1 {
		t.Fatalf("plan: %+v", p)
	}
	cut := false
	for _, f := range p.Phases[0].FlowsCut {
		cut = cut || (f.From == "monitoring/Deployment/prometheus" && f.To == "shop/Deployment/db" && f.Port == 5432 && f.Source == "service")
	}
	if !cut {
		t.Errorf("phase 1 does not cut prometheus -> db: %+v", p.Phases[0].FlowsCut)
	}

	code, stdout, stderr = runNetpolCmd(t, "", "netpol", "plan", "-f", netpolFixture, "-o", "yaml")
	if code != ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if m := policiesIn(t, stdout); len(m.Policies) != 19 || !strings.Contains(stdout, "# === Phase 2: other namespaces with workloads: dev, payments ===") {
		t.Errorf("yaml: %d policies\n%s", len(m.Policies), stdout)
	}

	code, stdout, stderr = runNetpolCmd(t, "", "netpol", "plan", "-f", netpolFixture)
	if code != ExitOK || !strings.Contains(stdout, "Phase 3: the rest: namespaces without workloads") ||
		!strings.Contains(stdout, "kube-system  system namespace") {
		t.Errorf("table: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, o := range []string{"table", "json", "yaml"} {
		_, stdout, stderr := runNetpolCmd(t, "", "netpol", "plan", "-f", netpolFixture, "-o", o)
		if strings.Contains(stdout+stderr, netpolSecret) {
			t.Fatalf("-o %s prints a Secret value", o)
		}
	}
}

func TestNetpolPlanConfig(t *testing.T) {
	noKubeconfig(t)
	cfg := filepath.Join(t.TempDir(), ".kharden.yaml")
	if err := os.WriteFile(cfg, []byte("productionNamespaces: [payments]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runNetpolCmd(t, "", "netpol", "plan", "-f", netpolFixture, "--config", cfg, "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	p := parsePlan(t, stdout)
	var names []string
	for _, n := range p.Phases[0].Namespaces {
		names = append(names, n.Name)
	}
	if strings.Join(names, ",") != "ingress-nginx,monitoring,payments,shop" {
		t.Errorf("phase 1: %v", names)
	}
}

func TestNetpolPlanErrors(t *testing.T) {
	noKubeconfig(t)
	badAnnotations := "../../pkg/network/testdata/plan/bad-annotations.yaml"
	code, stdout, stderr := runNetpolCmd(t, "", "netpol", "plan", "-f", badAnnotations, "-o", "json")
	if code != ExitUsage {
		t.Errorf("exit %d, want %d", code, ExitUsage)
	}
	p := parsePlan(t, stdout) // printed all the same
	if len(p.Problems) != 3 {
		t.Errorf("problems: %v", p.Problems)
	}
	if !strings.Contains(stderr, "Error: "+badAnnotations+`:11: shop/Deployment/web: annotation kharden.dev/depends-on: entry 1 "shop/db": no port`) {
		t.Errorf("stderr:\n%s", stderr)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-f", netpolFixture, "-o", "sarif"}, `unknown output format "sarif"`},
		{[]string{"-f", netpolFixture, "--dns-selector", "k8s-app in ("}, "--dns-selector"},
		{[]string{"-f", netpolFixture, "--ingress-namespace", "Ingress_NGINX"}, "--ingress-namespace"},
		{[]string{"-f", netpolFixture, "--config", "/nonexistent/.kharden.yaml"}, "no such file"},
		{[]string{}, "no input"},
		{[]string{"-f", "testdata/bad.yaml"}, "input error"},
		{[]string{"extra"}, "unknown command"},
	}
	for _, c := range cases {
		code, _, stderr := runNetpolCmd(t, "", append([]string{"netpol", "plan"}, c.args...)...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "panic") {
			t.Errorf("%v: exit %d\n%s\nwant %q", c.args, code, stderr, c.want)
		}
	}
}

// TestNetpolPlanCluster plans from a real API server holding the
// fixture's objects (no bare Pods: without a kubelet their pods would be
// the only workloads) and checks the plan is the one made from the same
// objects as files; generate resolves names through the cluster too.
func TestNetpolPlanCluster(t *testing.T) {
	noKubeconfig(t)
	c := testcluster.Start(t, testcluster.Options{})
	data, err := os.ReadFile(netpolFixture)
	if err != nil {
		t.Fatal(err)
	}
	objs, diags := inventory.ParseDocuments("cluster.yaml", data, inventory.OriginFile)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	gvr := map[schema.GroupKind]schema.GroupVersionResource{
		inventory.KindNamespace:     {Version: "v1", Resource: "namespaces"},
		inventory.KindService:       {Version: "v1", Resource: "services"},
		inventory.KindDeployment:    {Group: "apps", Version: "v1", Resource: "deployments"},
		inventory.KindIngress:       {Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"},
		inventory.KindNetworkPolicy: {Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"},
	}
	dyn := dynamic.NewForConfigOrDie(c.Config)
	var kept []string
	for i, doc := range strings.Split(string(data), "\n---\n") {
		o := objs[i]
		r, ok := gvr[o.GK]
		if !ok {
			continue // the bare Pod and the Secret
		}
		kept = append(kept, doc)
		u := &unstructured.Unstructured{Object: o.Content}
		var err error
		if o.Ref.Namespace == "" {
			_, err = dyn.Resource(r).Create(context.Background(), u, metav1.CreateOptions{})
		} else {
			_, err = dyn.Resource(r).Namespace(o.Ref.Namespace).Create(context.Background(), u, metav1.CreateOptions{})
		}
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("%s: %v", o.Ref, err)
		}
	}
	files := filepath.Join(t.TempDir(), "same.yaml")
	if err := os.WriteFile(files, []byte(strings.Join(kept, "\n---\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runNetpolCmd(t, "", "netpol", "plan", "--cluster", "--kubeconfig", c.KubeconfigPath, "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	live := parsePlan(t, stdout)
	code, stdout, stderr = runNetpolCmd(t, "", "netpol", "plan", "-f", files, "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	fromFiles := parsePlan(t, stdout)
	// The cluster has namespaces of its own (default, kube-public,
	// kube-node-lease): they land in phase 3.
	for i := 0; i < 2; i++ {
		if !reflect.DeepEqual(live.Phases[i], fromFiles.Phases[i]) {
			t.Errorf("phase %d differs between the cluster and the files:\ncluster: %+v\nfiles:   %+v", i+1, live.Phases[i], fromFiles.Phases[i])
		}
	}
	if len(live.Phases[0].FlowsKept) == 0 || len(live.Phases[0].FlowsCut) == 0 {
		t.Errorf("phase 1 from the cluster: %+v", live.Phases[0])
	}

	code, stdout, stderr = runNetpolCmd(t, "", "netpol", "generate", "allow-to", "-f", netpolSpecs+"allow-to.yaml",
		"--cluster", "--kubeconfig", c.KubeconfigPath)
	if code != ExitOK || !strings.Contains(stdout, "name: allow-web-to-db") {
		t.Errorf("generate --cluster: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
