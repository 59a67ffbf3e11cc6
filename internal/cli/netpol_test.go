package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/kharden/kharden/internal/testcluster"
)

const netpolSmokeFile = "../../pkg/analysis/netpol/testdata/smoke.yaml"

// netpolReachSecret is the value of the Secret in netpolReachFixture.
const netpolReachSecret = "kh-NETPOL-SECRET-91c2e"

// netpolReachFixture is a shop with a default deny, a web workload under a
// Deployment and a Pod of the same name, and an API declaring two ports.
const netpolReachFixture = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop}
stringData: {password: ` + netpolReachSecret + `}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx, env: [{name: P, value: ` + netpolReachSecret + `}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web, canary: "true"}}
spec:
  containers: [{name: web, image: nginx}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: api
        ports: [{name: http, containerPort: 8080}, {name: metrics, containerPort: 9090}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: http}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  egress:
  - to: [{podSelector: {matchLabels: {app: api}}}]
`

func netpolReachFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "net.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// netpolReachJSON is the shape of one `netpol reach -o json` verdict.
type netpolReachJSON struct {
	From, To     string
	Port         int32
	PortName     string
	Protocol     string
	Allowed      bool
	NoCommonPort bool
	Egress       netpolReachSideJSON
	Ingress      netpolReachSideJSON
}

type netpolReachSideJSON struct {
	Allowed, Outside, HostNetwork, Isolated bool
	Policies                                []struct{ APIVersion, Kind, Namespace, Name string }
	AllowedBy                               []struct {
		Policy struct{ APIVersion, Kind, Namespace, Name string }
		Rule   int
		Text   string
	}
	Ports []string
}

func netpolDecode(t *testing.T, s string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("output is not the documented JSON: %v\n%s", err, s)
	}
}

func TestNetpolReachJSON(t *testing.T) {
	noKubeconfig(t)
	code, stdout, stderr := run(t, "", "netpol", "reach", "--from", "shop/web", "--to", "shop/db", "-f", netpolSmokeFile, "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r netpolReachJSON
	netpolDecode(t, stdout, &r)
	if !r.Allowed || r.Port != 5432 || r.PortName != "pg" || r.Protocol != "TCP" || r.From != "shop/Deployment/web" {
		t.Errorf("verdict %+v", r)
	}
	if !r.Egress.Isolated || len(r.Egress.Policies) != 2 || len(r.Egress.AllowedBy) != 1 ||
		r.Egress.AllowedBy[0].Policy.Name != "web-egress" || r.Egress.AllowedBy[0].Rule != 1 ||
		r.Egress.AllowedBy[0].Text != "to podSelector app=db; ports 5432/TCP" {
		t.Errorf("egress %+v", r.Egress)
	}
	if len(r.Ingress.AllowedBy) != 1 || r.Ingress.AllowedBy[0].Policy.Name != "db-from-web" || r.Ingress.AllowedBy[0].Rule != 1 {
		t.Errorf("ingress %+v", r.Ingress)
	}

	// Denied toward the metadata endpoint: the other side is outside.
	code, stdout, _ = run(t, "", "netpol", "reach", "--from", "shop/web", "--to", "ip:169.254.169.254", "--port", "443", "-f", netpolSmokeFile, "-o", "json")
	netpolDecode(t, stdout, &r)
	if code != ExitOK || r.Allowed || !r.Ingress.Outside || r.Egress.Allowed || len(r.Egress.AllowedBy) != 0 {
		t.Errorf("metadata: exit %d %+v", code, r)
	}
}

// TestNetpolReachSeveral: a name standing for two workloads and a
// destination declaring two ports give an array of verdicts.
func TestNetpolReachSeveral(t *testing.T) {
	noKubeconfig(t)
	file := netpolReachFile(t, netpolReachFixture)
	code, stdout, stderr := run(t, "", "netpol", "reach", "--from", "shop/web", "--to", "shop/api", "-f", file, "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rs []netpolReachJSON
	netpolDecode(t, stdout, &rs)
	got := map[string]bool{}
	for _, r := range rs {
		got[r.From+" "+r.PortName] = r.Allowed
	}
	want := map[string]bool{"shop/Deployment/web http": true, "shop/Deployment/web metrics": false,
		"shop/Pod/web http": true, "shop/Pod/web metrics": false}
	if len(rs) != 4 || len(got) != 4 {
		t.Fatalf("want 4 verdicts, got %+v", rs)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: allowed=%v, want %v", k, got[k], v)
		}
	}
	// A kind narrows the name; a some-port question with no common port.
	code, stdout, _ = run(t, "", "netpol", "reach", "--from", "shop/Pod/web", "--to", "shop/api", "--port", "metrics", "-f", file)
	if code != ExitOK || strings.Count(stdout, "DENIED") != 1 || strings.Contains(stdout, "Deployment/web ->") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
}

// TestNetpolNoCommonPort: egress to 80 only, ingress on 443 only: no port
// passes, and the table says which each side allows.
func TestNetpolNoCommonPort(t *testing.T) {
	noKubeconfig(t)
	file := netpolReachFile(t, `apiVersion: v1
kind: Pod
metadata: {name: a, namespace: lab, labels: {app: a}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: lab, labels: {app: b}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a-out, namespace: lab}
spec:
  podSelector: {matchLabels: {app: a}}
  egress: [{ports: [{port: 80}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b-in, namespace: lab}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{ports: [{port: 443}]}]
`)
	code, stdout, stderr := run(t, "", "netpol", "reach", "--from", "lab/a", "--to", "lab/b", "-f", file)
	if code != ExitOK || !strings.Contains(stdout, "DENIED") ||
		!strings.Contains(stdout, "no TCP port is allowed by both sides: egress allows 80; ingress allows 443") {
		t.Fatalf("exit %d:\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = run(t, "", "netpol", "reach", "--from", "lab/a", "--to", "lab/b", "-f", file, "-o", "json")
	var r netpolReachJSON
	netpolDecode(t, stdout, &r)
	if code != ExitOK || r.Allowed || !r.NoCommonPort || r.Port != 0 || strings.Join(r.Egress.Ports, ",") != "80" {
		t.Errorf("%+v", r)
	}
}

func TestNetpolMatrixJSON(t *testing.T) {
	noKubeconfig(t)
	code, stdout, stderr := run(t, "", "netpol", "matrix", "-f", netpolSmokeFile, "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var mx struct {
		Namespace string
		Workloads []string
		Allowed   []struct {
			From, To string
			Ports    []string
		}
		External []struct {
			Workload                            string
			FromOutside, ToInternet, ToMetadata bool
		}
	}
	netpolDecode(t, stdout, &mx)
	if len(mx.Workloads) != 3 || len(mx.External) != 3 {
		t.Fatalf("%+v", mx)
	}
	cells := map[string]string{}
	for _, c := range mx.Allowed {
		cells[c.From+" -> "+c.To] = strings.Join(c.Ports, ",")
	}
	want := map[string]string{
		"shop/Deployment/web -> shop/Deployment/db":                            "5432/TCP",
		"monitoring/Deployment/prometheus -> shop/Deployment/db":               "*",
		"monitoring/Deployment/prometheus -> monitoring/Deployment/prometheus": "*",
	}
	if len(cells) != len(want) {
		t.Errorf("cells %v", cells)
	}
	for k, v := range want {
		if cells[k] != v {
			t.Errorf("%s: %q, want %q", k, cells[k], v)
		}
	}
	for _, e := range mx.External {
		switch e.Workload {
		case "shop/Deployment/web":
			if e.FromOutside || !e.ToInternet || e.ToMetadata {
				t.Errorf("web %+v", e)
			}
		case "monitoring/Deployment/prometheus":
			if !e.FromOutside || !e.ToInternet || !e.ToMetadata {
				t.Errorf("prometheus %+v", e)
			}
		}
	}
	code, stdout, _ = run(t, "", "netpol", "matrix", "-n", "shop", "-f", netpolSmokeFile)
	if code != ExitOK || !strings.Contains(stdout, "5432/TCP") || strings.Contains(stdout, "prometheus") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
}

func TestNetpolCoverageJSON(t *testing.T) {
	noKubeconfig(t)
	code, stdout, stderr := run(t, "", "netpol", "coverage", "-f", netpolSmokeFile, "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	type dir struct {
		Isolation     string
		Isolated      int
		NamespaceWide bool
		Open          []string
	}
	var cov struct {
		Namespaces []struct {
			Namespace           string
			Workloads, Policies int
			HostNetwork         []string
			Ingress, Egress     dir
		}
	}
	netpolDecode(t, stdout, &cov)
	if len(cov.Namespaces) != 2 {
		t.Fatalf("%+v", cov)
	}
	mon, shop := cov.Namespaces[0], cov.Namespaces[1]
	if mon.Namespace != "monitoring" || mon.Ingress.Isolation != "none" || len(mon.Ingress.Open) != 1 ||
		mon.Ingress.Open[0] != "monitoring/Deployment/prometheus" {
		t.Errorf("monitoring %+v", mon)
	}
	if shop.Ingress.Isolation != "full" || !shop.Ingress.NamespaceWide || shop.Egress.Isolated != 2 || len(shop.Egress.Open) != 0 || shop.Policies != 3 {
		t.Errorf("shop %+v", shop)
	}
}

// TestNetpolBadInput: every mistake gets one clear line and exit 2; a
// policy for a namespace the input lacks is a warning.
func TestNetpolBadInput(t *testing.T) {
	noKubeconfig(t)
	good := netpolReachFile(t, netpolReachFixture)
	policy := func(spec string) string {
		return netpolReachFile(t, netpolReachFixture+"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad, namespace: shop}\nspec:\n"+spec)
	}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"invalid CIDR", []string{"reach", "--from", "shop/web", "--to", "ip:1.1.1.1", "-f",
			policy("  podSelector: {}\n  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/33}}]}]\n")}, ExitUsage, `net.yaml:`},
		{"except outside the CIDR", []string{"coverage", "-f",
			policy("  podSelector: {}\n  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/8]}}]}]\n")}, ExitUsage, "11.0.0.0/8 is not inside 10.0.0.0/8"},
		{"unknown protocol in a policy", []string{"matrix", "-f",
			policy("  podSelector: {}\n  ingress: [{ports: [{port: 80, protocol: ICMP}]}]\n")}, ExitUsage, `unknown protocol ICMP`},
		{"unknown protocol asked", []string{"reach", "--from", "shop/web", "--to", "shop/api", "--port", "80/ICMP", "-f", good}, ExitUsage, `unknown protocol "ICMP"`},
		{"port out of range", []string{"reach", "--from", "shop/web", "--to", "shop/api", "--port", "70000", "-f", good}, ExitUsage, "not a port number"},
		{"named port nobody exposes", []string{"reach", "--from", "shop/api", "--to", "shop/web", "--port", "grpc", "-f", good}, ExitUsage, "declares no port of that name"},
		{"named port of the API", []string{"reach", "--from", "shop/web", "--to", "shop/Deployment/api", "--port", "grpc", "-f", good}, ExitUsage, "its ports: http 8080/TCP, metrics 9090/TCP"},
		{"named port outside", []string{"reach", "--from", "shop/web", "--to", "ip:1.1.1.1", "--port", "http", "-f", good}, ExitUsage, "outside the cluster"},
		{"unknown endpoint", []string{"reach", "--from", "shop/nope", "--to", "shop/web", "-f", good}, ExitUsage, `endpoint "shop/nope": no pod or workload of that name in namespace shop`},
		{"bad endpoint", []string{"reach", "--from", "web", "--to", "shop/web", "-f", good}, ExitUsage, "write NAMESPACE/NAME"},
		{"bad address", []string{"reach", "--from", "ip:1.2.3", "--to", "shop/web", "-f", good}, ExitUsage, "is not an IP address"},
		{"both outside", []string{"reach", "--from", "ip:1.1.1.1", "--to", "ip:8.8.8.8", "-f", good}, ExitUsage, "both ends are outside"},
		{"missing --to", []string{"reach", "--from", "shop/web", "-f", good}, ExitUsage, "both --from and --to are required"},
		{"bad output", []string{"coverage", "-f", good, "-o", "yaml"}, ExitUsage, "unknown output format"},
		{"unknown namespace", []string{"matrix", "-n", "nope", "-f", good}, ExitUsage, `namespace "nope" has no workload`},
		{"no input", []string{"coverage"}, ExitUsage, "no input"},
		{"policy in a missing namespace", []string{"coverage", "-f",
			netpolReachFile(t, netpolReachFixture+"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: gone}\nspec: {podSelector: {}}\n")},
			ExitOK, `Warning: `},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, "", append([]string{"netpol"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, stderr)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine") {
				t.Errorf("panic:\n%s", stderr)
			}
		})
	}
}

// TestNetpolSecretValuesNeverPrinted: a Secret's value and a literal in
// an env var of the input appear in no output of the three commands.
func TestNetpolSecretValuesNeverPrinted(t *testing.T) {
	noKubeconfig(t)
	file := netpolReachFile(t, netpolReachFixture)
	for _, args := range [][]string{
		{"reach", "--from", "shop/web", "--to", "shop/api"},
		{"reach", "--from", "shop/web", "--to", "shop/api", "-o", "json"},
		{"matrix"}, {"matrix", "-o", "json"}, {"coverage"}, {"coverage", "-o", "json"},
		{"reach", "--from", "shop/db", "--to", "shop/api"},
	} {
		_, stdout, stderr := run(t, "", append(append([]string{"netpol"}, args...), "-f", file)...)
		if strings.Contains(stdout+stderr, netpolReachSecret) {
			t.Errorf("%v printed a secret value", args)
		}
	}
}

// TestNetpolLive answers from a live API server: running pods are read,
// named by the Deployment that made them, and the alike pods of one
// workload are one row of the matrix.
func TestNetpolLive(t *testing.T) {
	noKubeconfig(t)
	c := testcluster.Start(t, testcluster.Options{})
	ctx := context.Background()
	cs := kubernetes.NewForConfigOrDie(c.Config)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	labels := func(app string) map[string]string { return map[string]string{"app": app} }
	container := []corev1.Container{{Name: "c", Image: "app:1", Ports: []corev1.ContainerPort{{Name: "pg", ContainerPort: 5432}}}}
	must(cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, metav1.CreateOptions{}))
	for _, app := range []string{"web", "db"} {
		dep, err := cs.AppsV1().Deployments("shop").Create(ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: app},
			Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels(app)},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels(app)}, Spec: corev1.PodSpec{Containers: container}}},
		}, metav1.CreateOptions{})
		must(dep, err)
		yes := true
		rs, err := cs.AppsV1().ReplicaSets("shop").Create(ctx, &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Name: app + "-5d4", OwnerReferences: []metav1.OwnerReference{
				{APIVersion: "apps/v1", Kind: "Deployment", Name: app, UID: dep.UID, Controller: &yes}}},
			Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels(app)},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels(app)}, Spec: corev1.PodSpec{Containers: container}}},
		}, metav1.CreateOptions{})
		must(rs, err)
		for _, suffix := range []string{"a", "b"} {
			must(cs.CoreV1().Pods("shop").Create(ctx, &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: app + "-5d4-" + suffix, Labels: labels(app), OwnerReferences: []metav1.OwnerReference{
					{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: &yes}}},
				Spec: corev1.PodSpec{Containers: container},
			}, metav1.CreateOptions{}))
		}
	}
	pg := intstr.FromString("pg")
	must(cs.NetworkingV1().NetworkPolicies("shop").Create(ctx, &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "db"},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: labels("db")},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: labels("web")}}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: &pg}}}}},
	}, metav1.CreateOptions{}))
	live := []string{"--cluster", "--kubeconfig", c.KubeconfigPath, "-o", "json"}

	code, stdout, stderr := run(t, "", append([]string{"netpol", "reach", "--from", "shop/web", "--to", "shop/Deployment/db"}, live...)...)
	if code != ExitOK {
		t.Fatalf("reach: exit %d: %s", code, stderr)
	}
	var rs []netpolReachJSON
	netpolDecode(t, stdout, &rs)
	if len(rs) != 4 {
		t.Fatalf("want 2 x 2 pods, got %d verdicts", len(rs))
	}
	for _, r := range rs {
		if !r.Allowed || r.Port != 5432 || len(r.Ingress.AllowedBy) != 1 || r.Ingress.AllowedBy[0].Policy.Name != "db" {
			t.Errorf("%+v", r)
		}
	}
	// A pod by its own name; web is not isolated, db's egress is open.
	code, stdout, stderr = run(t, "", append([]string{"netpol", "reach", "--from", "shop/db", "--to", "shop/web-5d4-a", "--port", "5432"}, live...)...)
	if code != ExitOK {
		t.Fatalf("reach: exit %d: %s", code, stderr)
	}
	if netpolDecode(t, stdout, &rs); len(rs) != 2 || !rs[0].Allowed || rs[0].To != "shop/Pod/web-5d4-a" {
		t.Errorf("db to a web pod: %+v", rs)
	}

	code, stdout, stderr = run(t, "", append([]string{"netpol", "matrix", "-n", "shop"}, live...)...)
	var mx struct {
		Namespace string
		Workloads []string
		Allowed   []struct {
			From, To string
			Ports    []string
		}
		External []struct {
			Workload                            string
			FromOutside, ToInternet, ToMetadata bool
		}
	}
	if code != ExitOK {
		t.Fatalf("matrix: exit %d: %s", code, stderr)
	}
	netpolDecode(t, stdout, &mx)
	if strings.Join(mx.Workloads, ",") != "shop/Deployment/db,shop/Deployment/web" {
		t.Errorf("rows %v", mx.Workloads)
	}

	code, stdout, stderr = run(t, "", append([]string{"netpol", "coverage", "-n", "shop"}, live...)...)
	if code != ExitOK {
		t.Fatalf("coverage: exit %d: %s", code, stderr)
	}
	var cov struct {
		Namespaces []struct {
			Namespace           string
			Workloads, Policies int
			HostNetwork         []string
			Ingress, Egress     struct {
				Isolation     string
				Isolated      int
				NamespaceWide bool
				Open          []string
			}
		}
	}
	netpolDecode(t, stdout, &cov)
	if len(cov.Namespaces) != 1 || cov.Namespaces[0].Workloads != 4 || cov.Namespaces[0].Ingress.Isolation != "partial" ||
		strings.Join(cov.Namespaces[0].Ingress.Open, ",") != "shop/Deployment/web" {
		t.Errorf("coverage %+v", cov)
	}
}
