package auditserve

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kharden/kharden/internal/testcluster"
	"github.com/kharden/kharden/pkg/finding"
)

// serveAuditPolicy records pods and RBAC objects with their bodies, and
// everything else (secrets included) as metadata only.
const serveAuditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
  resources: [{group: "", resources: ["secrets", "configmaps"]}]
- level: RequestResponse
  resources:
  - {group: "", resources: ["pods", "pods/exec", "pods/ephemeralcontainers"]}
  - {group: rbac.authorization.k8s.io, resources: ["clusterrolebindings", "rolebindings", "clusterroles", "roles"]}
- level: Metadata
`

// webhookKubeconfig points the API server's audit webhook at url,
// trusting the test CA and presenting the client certificate.
func webhookKubeconfig(t *testing.T, c *serveCerts, url string) []byte {
	t.Helper()
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	return []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kharden
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: apiserver
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: default
  context: {cluster: kharden, user: apiserver}
current-context: default
`, url, read(c.CA), read(c.ClientCert), read(c.ClientKey)))
}

// The API server posts its audit batches to the serve endpoint; actions
// through real clients come out as alerts.
func TestServeWithAPIServer(t *testing.T) {
	certs := newServeCerts(t)
	h := startServe(t, certs, func(o *Options) { o.ClientCAFile = certs.CA }, nil)
	c := testcluster.Start(t, testcluster.Options{
		AuditPolicy:            []byte(serveAuditPolicy),
		AuditWebhookKubeconfig: webhookKubeconfig(t, certs, h.url+"/audit"),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cs := c.Client

	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	const planted = "PLANTED-SECRET-VALUE-0815"
	if _, err := cs.CoreV1().Secrets("shop").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db"},
		StringData: map[string]string{"password": planted}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Secrets("shop").Get(ctx, "db", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := cs.CoreV1().Pods("shop").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "miner"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox",
			SecurityContext: &corev1.SecurityContext{Privileged: &yes}}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The pod never runs (no node): the exec attempt fails, and is audited.
	_ = cs.CoreV1().RESTClient().Post().Namespace("shop").Resource("pods").Name("miner").SubResource("exec").
		Param("container", "c").Param("command", "sh").Param("stdout", "true").Do(ctx).Error()
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "eve-admin"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "eve"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	want := map[finding.RuleID]string{
		"audit-cluster-admin-granted":  "eve-admin",
		"audit-exec-into-pod":          "miner",
		"audit-privileged-pod-created": "miner",
		// Registered by its helper meanwhile: no maintenance window is
		// configured, so every RBAC change is outside one.
		"audit-rbac-change-outside-window": "eve-admin",
	}
	seen := map[finding.RuleID]bool{}
	waitServe(t, 60*time.Second, "the alerts of the actions", func() bool {
		for _, line := range strings.Split(h.alerts.String(), "\n") {
			var f finding.Finding
			if json.Unmarshal([]byte(line), &f) == nil && want[f.Rule] != "" && f.Object.Name == want[f.Rule] {
				seen[f.Rule] = true
			}
		}
		return len(seen) == len(want)
	})
	_, metrics := h.get(t, "/metrics")
	if v := metricValue(metrics, "kharden_audit_events_analysed_total"); v == "" || v == "0" {
		t.Errorf("events analysed = %q", v)
	}
	if v := metricValue(metrics, `kharden_audit_batches_total{result="accepted"}`); v == "" || v == "0" {
		t.Errorf("accepted batches = %q", v)
	}
	if strings.Contains(h.alerts.String()+h.log.String(), planted) {
		t.Error("a Secret value reached the alerts or the log")
	}
	t.Logf("alerts:\n%s", h.alerts.String())
}
