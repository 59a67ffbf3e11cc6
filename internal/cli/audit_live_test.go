package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kharden/kharden/internal/testcluster"
	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// auditLivePolicy records bodies of the objects the detectors read, only
// metadata of everything else (Secrets included), once per request.
const auditLivePolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
  resources:
  - group: ""
    resources: ["secrets", "serviceaccounts/token"]
  - group: authentication.k8s.io
    resources: ["tokenreviews"]
- level: Request
  resources:
  - group: ""
    resources: ["pods", "pods/ephemeralcontainers", "services", "configmaps"]
  - group: networking.k8s.io
    resources: ["ingresses"]
  - group: apps
  - group: batch
  - group: rbac.authorization.k8s.io
  - group: admissionregistration.k8s.io
- level: Metadata
`

// auditLiveConfig makes the detectors judge a test of a minute: short
// windows, no warm-up, low thresholds.
const auditLiveConfig = `productionNamespaces: [prod]
breakGlassGroups: [breakglass]
detect:
  window: 10s
  warmup: 0s
  authFailures: {min: 20, factor: 5}
  requestRate: {min: 150, factor: 10}
  secretBulk: 5
  allowedLateness: 2s
`

// auditPlantedSecret is a value that must appear nowhere in the output.
const auditPlantedSecret = "hunter2-planted-value-9f8e7d"

// TestAuditAnalyzeLive performs attacks and risky changes against a real
// API server through real clients, then runs `kharden audit analyze` on the
// audit log the server wrote: every detector the actions should trigger
// reports, and no secret value reaches the output.
func TestAuditAnalyzeLive(t *testing.T) {
	noKubeconfig(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, ".kharden.yaml")
	if err := os.WriteFile(cfgPath, []byte(auditLiveConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	// The second path: `kharden audit serve`, which the API server's
	// webhook backend posts the same events to.
	cert, key, _ := auditServeCert(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alerts, serveErr := &auditServeBuffer{}, &auditServeBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runAuditServeCmd(ctx, alerts, serveErr, "--address", addr, "--tls-cert-file", cert, "--tls-private-key-file", key,
			"--spool-dir", filepath.Join(dir, "spool"), "--config", cfgPath)
	}()
	caPEM, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	webhook := fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters:\n- name: kharden\n  cluster:\n    server: https://%s/\n"+
		"    certificate-authority-data: %s\nusers:\n- name: apiserver\n  user: {}\ncontexts:\n- name: default\n"+
		"  context: {cluster: kharden, user: apiserver}\ncurrent-context: default\n", addr, base64.StdEncoding.EncodeToString(caPEM))
	c := testcluster.Start(t, testcluster.Options{AuditPolicy: []byte(auditLivePolicy), AuditWebhookKubeconfig: []byte(webhook), AnonymousAuth: true})
	auditLiveActions(t, c)

	// The log backend writes an event as its request completes, which a
	// loaded machine may do after the client has its answer: analyse the
	// log until every detector reports, for at most a minute.
	var rep struct {
		Findings []finding.Finding `json:"findings"`
	}
	var stderr string
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(500 * time.Millisecond) {
		var code int
		var out string
		code, out, stderr = run(t, "", "audit", "analyze", c.AuditLogPath, "--config", cfgPath, "-o", "json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if strings.Contains(out, auditPlantedSecret) || strings.Contains(stderr, auditPlantedSecret) {
			t.Fatal("a secret value reached the output")
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		if len(auditLiveMissing(rep.Findings)) == 0 || time.Now().After(deadline) {
			break
		}
	}
	auditLiveCheck(t, "audit analyze", rep.Findings)
	t.Logf("%s", stderr)

	// The webhook path reports the same detectors, as alerts on stdout.
	deadline := time.Now().Add(60 * time.Second)
	for {
		fs := auditLiveAlerts(t, alerts.String())
		if len(auditLiveMissing(fs)) == 0 || time.Now().After(deadline) {
			auditLiveCheck(t, "audit serve", fs)
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if strings.Contains(alerts.String(), auditPlantedSecret) || strings.Contains(serveErr.String(), auditPlantedSecret) {
		t.Fatal("a secret value reached the alerts")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v\n%s", err, serveErr.String())
		}
	case <-time.After(30 * time.Second):
		t.Error("serve did not stop")
	}
}

// auditLiveAlerts reads serve's JSON-line alerts.
func auditLiveAlerts(t *testing.T, out string) []finding.Finding {
	var fs []finding.Finding
	for _, line := range strings.Split(out, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var f finding.Finding
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("alert is not a finding: %v: %s", err, line)
		}
		fs = append(fs, f)
	}
	return fs
}

// auditLiveMissing lists the expected rules without their finding.
func auditLiveMissing(fs []finding.Finding) []string {
	var missing []string
	for rule, objects := range auditLiveExpected {
		for _, object := range objects {
			found := false
			for _, f := range fs {
				if f.Rule == rule && strings.Contains(f.Object.String(), object) {
					found = true
				}
			}
			if !found {
				missing = append(missing, string(rule)+" on "+object)
			}
		}
	}
	return missing
}

func auditLiveCheck(t *testing.T, path string, fs []finding.Finding) {
	t.Helper()
	if missing := auditLiveMissing(fs); len(missing) > 0 {
		got := map[finding.RuleID][]string{}
		for _, f := range fs {
			got[f.Rule] = append(got[f.Rule], f.Object.String())
		}
		t.Errorf("%s: missing %v; got %v", path, missing, got)
	}
}

// auditLiveExpected: rule -> parts of the names of the objects it must report.
var auditLiveExpected = map[finding.RuleID][]string{
	checks.RuleAuditAuthFailureSpike:       {"SourceIP/127.0.0.1"},
	checks.RuleAuditRequestRateAnomaly:     {"busy-bot"},
	checks.RuleAuditAnonymousRequest:       {"SourceIP/127.0.0.1"},
	checks.RuleAuditPrivilegedPodCreated:   {"Pod/prod/rooted", "DaemonSet/kube-system/node-agent"},
	checks.RuleAuditHostAccessPodCreated:   {"Pod/prod/rooted"},
	checks.RuleAuditRBACChangeOutsideWin:   {"ClusterRoleBinding/eve-admin"},
	checks.RuleAuditClusterAdminGranted:    {"ClusterRoleBinding/eve-admin"},
	checks.RuleAuditExecIntoPod:            {"Pod/prod/rooted"},
	checks.RuleAuditSecretAccessUnusual:    {"secret-hoarder"},
	checks.RuleAuditBreakGlassUsed:         {"oncall"},
	checks.RuleAuditTokenRequest:           {"ServiceAccount/prod/builder"},
	checks.RuleAuditAdmissionConfigChanged: {"ValidatingWebhookConfiguration/audit-test-hook"},
	checks.RuleAuditImpersonation:          {"impostor"},
	checks.RuleAuditPodInKubeSystem:        {"Pod/kube-system/debugger"},
	checks.RuleAuditNodePortService:        {"Service/prod/exposed"},
	checks.RuleAuditConfigMapCredentials:   {"ConfigMap/prod/app-settings"},
	checks.RuleAuditIngressWithoutTLS:      {"Ingress/prod/plain"},
}

// auditLiveActions does, through real clients, what each detector must see.
func auditLiveActions(t *testing.T, c *testcluster.Cluster) {
	t.Helper()
	ctx := context.Background()
	admin := liveClient(t, c.Config)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	for _, ns := range []string{"prod", "dev"} {
		_, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		must("namespace "+ns, err)
	}
	crb := func(name, role string, subjects ...rbacv1.Subject) {
		_, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name}, Subjects: subjects,
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role}}, metav1.CreateOptions{})
		must("binding "+name, err)
	}
	// Anonymous reads let through by a careless binding ("view" itself is
	// aggregated, and this cluster runs no aggregation controller).
	_, err := admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "reader"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods", "configmaps"}, Verbs: []string{"get", "list"}}}},
		metav1.CreateOptions{})
	must("reader role", err)
	crb("anonymous-view", "reader", rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "system:unauthenticated"})
	crb("eve-admin", "cluster-admin", rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "eve"})
	crb("hoarder-view", "cluster-admin", rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "secret-hoarder"})
	crb("breakglass-admin", "cluster-admin", rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "breakglass"})
	crb("impostor-admin", "cluster-admin", rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "impostor"})
	crb("busy-admin", "reader", rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "busy-bot"})

	anon := rest.AnonymousClientConfig(c.Config)
	anonClient := liveClient(t, anon)
	// The authorizer sees new bindings through an informer: wait for it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := anonClient.CoreV1().Pods("prod").List(ctx, metav1.ListOptions{})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			must("anonymous list", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A burst of failing requests: a guessed token (401) and a user
	// nobody bound (403), from 127.0.0.1.
	bad := rest.AnonymousClientConfig(c.Config)
	bad.BearerToken = "guessed-token-0123456789"
	badClient := liveClient(t, bad)
	nobody := liveClient(t, c.ConfigFor(t, "mallory"))
	for i := 0; i < 30; i++ {
		_, _ = badClient.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
		_, _ = nobody.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
	}
	// A privileged pod with the host's network in production, then exec
	// attempts into it (no kubelet: the API server fails the upgrade after
	// authorising it, and audits it).
	_, err = admin.CoreV1().Pods("prod").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "rooted"},
		Spec: corev1.PodSpec{HostNetwork: true, Containers: []corev1.Container{{Name: "sh", Image: "busybox:1.36",
			SecurityContext: &corev1.SecurityContext{Privileged: ptrTo(true)}}}},
	}, metav1.CreateOptions{})
	must("privileged pod", err)
	_ = admin.CoreV1().RESTClient().Post().Namespace("prod").Resource("pods").Name("rooted").SubResource("exec").
		Param("command", "sh").Param("stdout", "true").Do(ctx).Error()
	// A privileged DaemonSet a person puts among the system's own: its
	// pods would come from the DaemonSet controller (none here: no
	// controller-manager), the write itself names the person.
	labels := map[string]string{"app": "node-agent"}
	_, err = admin.AppsV1().DaemonSets("kube-system").Create(ctx, &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "node-agent"},
		Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "agent", Image: "busybox:1.36",
				SecurityContext: &corev1.SecurityContext{Privileged: ptrTo(true)}}}}}},
	}, metav1.CreateOptions{})
	must("privileged daemonset", err)
	_, err = admin.CoreV1().Pods("kube-system").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "debugger"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "sh", Image: "busybox:1.36"}}},
	}, metav1.CreateOptions{})
	must("kube-system pod", err)
	// Secrets: one planted value, then a bulk read by a new reader.
	_, err = admin.CoreV1().Secrets("prod").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db"},
		StringData: map[string]string{"password": auditPlantedSecret}}, metav1.CreateOptions{})
	must("secret", err)
	hoarder := liveClient(t, c.ConfigFor(t, "secret-hoarder"))
	_, err = hoarder.CoreV1().Secrets("").List(ctx, metav1.ListOptions{})
	must("secret list", err)
	// A token for a ServiceAccount, asked by a person.
	_, err = admin.CoreV1().ServiceAccounts("prod").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "builder"}}, metav1.CreateOptions{})
	must("serviceaccount", err)
	_, err = admin.CoreV1().ServiceAccounts("prod").CreateToken(ctx, "builder", &authnv1.TokenRequest{}, metav1.CreateOptions{})
	must("token request", err)
	// Impersonation of another user by a cluster-admin.
	imp := c.ConfigFor(t, "impostor")
	imp.Impersonate = rest.ImpersonationConfig{UserName: "bob", Groups: []string{"system:masters"}}
	_, err = liveClient(t, imp).CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	must("impersonated list", err)
	// Break-glass account in use.
	_, err = liveClient(t, c.ConfigFor(t, "oncall", "breakglass")).CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	must("break-glass list", err)
	// A busy client far above any baseline.
	busy := rest.CopyConfig(c.ConfigFor(t, "busy-bot"))
	busy.QPS, busy.Burst = 1000, 1000
	busyClient := liveClient(t, busy)
	for i := 0; i < 200; i++ {
		_, _ = busyClient.CoreV1().ConfigMaps("prod").List(ctx, metav1.ListOptions{})
	}
	// Falco's create-time rules.
	_, err = admin.CoreV1().Services("prod").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "exposed"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Selector: map[string]string{"app": "x"},
			Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{})
	must("nodeport", err)
	_, err = admin.CoreV1().ConfigMaps("prod").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "app-settings"},
		Data: map[string]string{"DB_PASSWORD": auditPlantedSecret, "LOG_LEVEL": "info"}}, metav1.CreateOptions{})
	must("configmap", err)
	prefix := networkingv1.PathTypePrefix
	_, err = admin.NetworkingV1().Ingresses("prod").Create(ctx, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "plain"},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: "shop.example.com", IngressRuleValue: networkingv1.IngressRuleValue{
			HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &prefix,
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "exposed",
					Port: networkingv1.ServiceBackendPort{Number: 80}}}}}}}}}}}, metav1.CreateOptions{})
	must("ingress", err)
	must("webhook", auditLiveWebhook(ctx, admin))
}

func liveClient(t *testing.T, cfg *rest.Config) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func ptrTo[T any](v T) *T { return &v }

// auditLiveWebhook registers a validating webhook that fails open on
// nothing it could reach: only the change itself matters to the detector.
func auditLiveWebhook(ctx context.Context, cs kubernetes.Interface) error {
	url := "https://127.0.0.1:1/validate"
	ignore := admissionv1.Ignore
	none := admissionv1.SideEffectClassNone
	_, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "audit-test-hook"},
		Webhooks: []admissionv1.ValidatingWebhook{{
			Name: "hook.kharden.dev", ClientConfig: admissionv1.WebhookClientConfig{URL: &url},
			FailurePolicy: &ignore, SideEffects: &none, AdmissionReviewVersions: []string{"v1"},
			Rules: []admissionv1.RuleWithOperations{{Operations: []admissionv1.OperationType{admissionv1.Create},
				Rule: admissionv1.Rule{APIGroups: []string{"kharden.dev"}, APIVersions: []string{"v1"}, Resources: []string{"nothing"}}}},
		}},
	}, metav1.CreateOptions{})
	return err
}
