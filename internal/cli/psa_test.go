package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kharden/kharden/internal/testcluster"
)

// runPSA runs `kharden psa ARGS` and returns the exit code Main would.
func runPSA(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := newPSACommand(strings.NewReader(""), &out, &errb)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	if err := cmd.Execute(); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		} else {
			code = ExitUsage
		}
		errb.WriteString("Error: " + err.Error() + "\n")
	}
	return code, out.String(), errb.String()
}

const psaManifests = `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {pod-security.kubernetes.io/warn: restricted}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: c
        image: nginx
        env: [{name: DB_PASSWORD, value: hunter2-very-secret}]
        securityContext: {privileged: true}
---
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop}
stringData: {password: hunter2-very-secret}
---
apiVersion: v1
kind: Pod
metadata: {name: plain, namespace: calm}
spec:
  containers: [{name: c, image: nginx}]
`

func writeManifest(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "psa.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPSAPlanFiles(t *testing.T) {
	path := writeManifest(t, psaManifests)
	code, out, errOut := runPSA(t, "plan", "-f", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"shop", "privileged", "calm", "baseline", "Deployment/web [privileged]", "warn=restricted"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	code, out, errOut = runPSA(t, "plan", "-f", path, "-o", "json", "-n", "shop")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		Namespaces []struct {
			Name, Level string
			Labels      map[string]string
			BreaksAt    struct {
				Level     string
				Workloads []struct{ Kind, Name string }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(got.Namespaces) != 1 || got.Namespaces[0].Name != "shop" || got.Namespaces[0].Level != "privileged" ||
		got.Namespaces[0].BreaksAt.Level != "baseline" || len(got.Namespaces[0].BreaksAt.Workloads) != 1 ||
		got.Namespaces[0].Labels["pod-security.kubernetes.io/enforce"] != "privileged" {
		t.Errorf("json: %+v", got)
	}
	if strings.Contains(out+errOut, "hunter2") {
		t.Error("a secret value reached the output")
	}
}

func TestPSAUsageErrors(t *testing.T) {
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "missing"))
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	path := writeManifest(t, psaManifests)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"plan", "-f", path, "-o", "yaml"}, "unknown output format"},
		{[]string{"plan", "-f", path, "--version", "v9"}, "--version"},
		{[]string{"plan", "-f", path, "-n", "nope"}, `namespace "nope"`},
		{[]string{"plan", "-f", path, "-n", "shop", "-A"}, "exclude each other"},
		{[]string{"plan"}, "no input"},
		{[]string{"apply", "-n", "shop"}, "--mode is required"},
		{[]string{"apply", "--mode", "deny", "-n", "shop"}, "unknown Pod Security Admission mode"},
		{[]string{"apply", "--mode", "enforce", "--level", "strict", "-n", "shop"}, "unknown Pod Security level"},
		{[]string{"apply", "--mode", "enforce", "--selector", "a in (b"}, "invalid --selector"},
		{[]string{"apply", "--mode", "enforce"}, "no namespace selected"},
		{[]string{"apply", "--mode", "enforce", "-n", "shop"}, "no kubeconfig"},
	} {
		code, _, errOut := runPSA(t, tc.args...)
		if code != ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

func TestPSAApplyLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an API server")
	}
	c := testcluster.Start(t, testcluster.Options{})
	ctx := context.Background()
	for _, ns := range []string{"shop", "calm", "locked"} {
		if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{"team": "a"}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	priv := true
	if _, err := c.Client.CoreV1().Pods("shop").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "root"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx", SecurityContext: &corev1.SecurityContext{Privileged: &priv}}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	lockNamespace(t, c, "locked")
	kc := "--kubeconfig=" + c.KubeconfigPath
	labels := func(ns string) map[string]string {
		n, err := c.Client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return n.Labels
	}

	// The dry-run shows the API server's warning and writes nothing.
	code, out, errOut := runPSA(t, "apply", kc, "--mode", "enforce", "--level", "restricted", "-n", "shop", "--dry-run")
	if code != 0 || !strings.Contains(out, `existing pods in namespace "shop" violate the new PodSecurity enforce level "restricted:v1.`) ||
		!strings.Contains(out, "root: privileged") {
		t.Fatalf("dry-run: exit %d\n%s%s", code, out, errOut)
	}
	if _, ok := labels("shop")["pod-security.kubernetes.io/enforce"]; ok {
		t.Fatal("--dry-run wrote a label")
	}

	// One failing dry-run: nothing written anywhere.
	code, out, errOut = runPSA(t, "apply", kc, "--mode", "enforce", "--level", "baseline", "-n", "calm", "-n", "locked")
	if code != ExitUsage || !strings.Contains(out, "locked is locked") || !strings.Contains(errOut, "nothing was written") {
		t.Fatalf("failing dry-run: exit %d\n%s%s", code, out, errOut)
	}
	if _, ok := labels("calm")["pod-security.kubernetes.io/enforce"]; ok {
		t.Fatal("a failed dry-run elsewhere still wrote calm's label")
	}
	if code, _, errOut := runPSA(t, "apply", kc, "--mode", "enforce", "-n", "nope"); code != ExitUsage || !strings.Contains(errOut, "nope") {
		t.Fatalf("missing namespace: exit %d %s", code, errOut)
	}

	// Planned levels, by selector, for real.
	code, out, errOut = runPSA(t, "apply", kc, "--mode", "warn", "--selector", "team=a,kubernetes.io/metadata.name!=locked")
	if code != 0 || !strings.Contains(out, "(applied)") {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	for ns, want := range map[string]string{"shop": "privileged", "calm": "restricted"} {
		l := labels(ns)
		if l["pod-security.kubernetes.io/warn"] != want || !strings.HasPrefix(l["pod-security.kubernetes.io/warn-version"], "v1.") {
			t.Errorf("%s labels: %v, want warn=%s pinned", ns, l, want)
		}
	}
}

// lockNamespace makes every update of a namespace fail admission, dry-runs
// included.
func lockNamespace(t *testing.T, c *testcluster.Cluster, ns string) {
	t.Helper()
	ctx := context.Background()
	fail := admissionv1.Fail
	p := &admissionv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "lock"},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: &fail,
			MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionv1.RuleWithOperations{
					Operations: []admissionv1.OperationType{admissionv1.Update},
					Rule:       admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"namespaces"}},
				},
			}}},
			Validations: []admissionv1.Validation{{Expression: "object.metadata.name != '" + ns + "'", Message: ns + " is locked"}},
		},
	}
	if _, err := c.Client.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	b := &admissionv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "lock"},
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: "lock",
			ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny}},
	}
	if _, err := c.Client.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(ctx, b, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The policy takes effect once the API server has loaded it.
	for i := 0; i < 100; i++ {
		_, err := c.Client.CoreV1().Namespaces().Patch(ctx, ns, "application/merge-patch+json",
			[]byte(`{"metadata":{"labels":{"probe":"x"}}}`), metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the lock policy never took effect")
}
