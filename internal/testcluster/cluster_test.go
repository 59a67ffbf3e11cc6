package testcluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
)

const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
`

// auditSink is an audit webhook backend recording the events it receives.
type auditSink struct {
	mu     sync.Mutex
	events []auditv1.Event
}

func (s *auditSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var list auditv1.EventList
	if err := json.NewDecoder(r.Body).Decode(&list); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.events = append(s.events, list.Items...)
	s.mu.Unlock()
}

func (s *auditSink) has(match func(auditv1.Event) bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.ContainsFunc(s.events, match)
}

func webhookKubeconfig(url string) []byte {
	return fmt.Appendf(nil, `apiVersion: v1
kind: Config
clusters:
- name: sink
  cluster:
    server: %s
contexts:
- name: sink
  context: {cluster: sink, user: sink}
users:
- name: sink
  user: {}
current-context: sink
`, url)
}

func encryptionConfig(t *testing.T) []byte {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return fmt.Appendf(nil, `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: [secrets]
  providers:
  - aescbc:
      keys:
      - name: key1
        secret: %s
  - identity: {}
`, base64.StdEncoding.EncodeToString(key))
}

// eventually polls cond every 200ms for up to 30s.
func eventually(t *testing.T, what string, cond func(ctx context.Context) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for !cond(ctx) {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func createNamespace(t *testing.T, cs kubernetes.Interface, name string, labels map[string]string) {
	t.Helper()
	_, err := cs.CoreV1().Namespaces().Create(context.Background(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

// whoAmI asks the server who the client is (SelfSubjectReview).
func whoAmI(t *testing.T, cfg *rest.Config) authnv1.UserInfo {
	t.Helper()
	cs := kubernetes.NewForConfigOrDie(cfg)
	r, err := cs.AuthenticationV1().SelfSubjectReviews().Create(context.Background(), &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return r.Status.UserInfo
}

// TestCluster runs one cluster with every option a test suite commonly
// needs and checks each behaves as a real cluster would.
func TestCluster(t *testing.T) {
	sink := &auditSink{}
	hook := httptest.NewServer(sink)
	defer hook.Close()
	c := Start(t, Options{
		AuditPolicy:            []byte(auditPolicy),
		AuditWebhookKubeconfig: webhookKubeconfig(hook.URL),
		EncryptionConfig:       encryptionConfig(t),
		Controllers:            []string{"clusterrole-aggregation", "serviceaccount", "serviceaccount-token"},
	})
	ctx := context.Background()

	t.Run("version", func(t *testing.T) {
		// The binaries are built with version ldflags: /version must say
		// v1.37.x like a real release, or version-gated behaviour drifts.
		v, err := c.Client.Discovery().ServerVersion()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(v.GitVersion, "v1.37.") || v.Major != "1" || v.Minor != "37" {
			t.Errorf("server version %+v, want v1.37.x", v)
		}
	})

	t.Run("admin", func(t *testing.T) {
		if u := whoAmI(t, c.Config); u.Username != adminUser || !slices.Contains(u.Groups, "system:masters") {
			t.Errorf("admin is %q %v", u.Username, u.Groups)
		}
		cfg, err := clientcmd.BuildConfigFromFlags("", c.KubeconfigPath)
		if err != nil {
			t.Fatal(err)
		}
		if u := whoAmI(t, cfg); u.Username != adminUser {
			t.Errorf("admin kubeconfig authenticates as %q", u.Username)
		}
	})

	t.Run("rbac", func(t *testing.T) {
		createNamespace(t, c.Client, "rbac", nil)
		alice := kubernetes.NewForConfigOrDie(c.ConfigFor(t, "alice", "team-a"))
		sar := func() bool {
			t.Helper()
			r, err := c.Client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authzv1.SubjectAccessReview{
				Spec: authzv1.SubjectAccessReviewSpec{
					User: "alice", Groups: []string{"team-a", "system:authenticated"},
					ResourceAttributes: &authzv1.ResourceAttributes{Namespace: "rbac", Verb: "list", Resource: "pods"},
				},
			}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return r.Status.Allowed
		}
		_, err := alice.CoreV1().Pods("rbac").List(ctx, metav1.ListOptions{})
		if !apierrors.IsForbidden(err) {
			t.Fatalf("alice without bindings: err = %v, want Forbidden", err)
		}
		if sar() {
			t.Error("SubjectAccessReview allows alice without bindings")
		}
		_, err = c.Client.RbacV1().Roles("rbac").Create(ctx, &rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Name: "pod-reader"},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Client.RbacV1().RoleBindings("rbac").Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "team-a-reads-pods"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "pod-reader"},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "team-a"}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// The authoriser reads bindings from an informer: a short delay.
		eventually(t, "alice to be allowed", func(ctx context.Context) bool {
			_, err := alice.CoreV1().Pods("rbac").List(ctx, metav1.ListOptions{})
			return err == nil
		})
		if !sar() {
			t.Error("SubjectAccessReview denies alice after the RoleBinding")
		}
		if _, err := alice.CoreV1().Secrets("rbac").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("alice lists secrets: err = %v, want Forbidden", err)
		}

		cfg, err := clientcmd.BuildConfigFromFlags("", c.KubeconfigFor(t, "bob", "team-b"))
		if err != nil {
			t.Fatal(err)
		}
		u := whoAmI(t, cfg)
		if u.Username != "bob" || !slices.Contains(u.Groups, "team-b") || !slices.Contains(u.Groups, "system:authenticated") {
			t.Errorf("bob's kubeconfig authenticates as %q %v", u.Username, u.Groups)
		}
	})

	t.Run("audit", func(t *testing.T) {
		name := "audited-" + strings.ToLower(rand.Text()[:8])
		_, err := c.Client.CoreV1().ConfigMaps("default").Create(ctx,
			&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		match := func(e auditv1.Event) bool {
			return e.Verb == "create" && e.ObjectRef != nil && e.ObjectRef.Resource == "configmaps" &&
				e.ObjectRef.Name == name && e.User.Username == adminUser && e.Stage == auditv1.StageResponseComplete
		}
		// The log backend is blocking: the event is there when the request returns.
		if !auditLogHas(t, c.AuditLogPath, match) {
			t.Errorf("%s has no event for creating configmap %s", c.AuditLogPath, name)
		}
		eventually(t, "the audit webhook to receive the event", func(context.Context) bool { return sink.has(match) })
	})

	t.Run("encryption", func(t *testing.T) {
		value := rand.Text()
		_, err := c.Client.CoreV1().Secrets("default").Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "encrypted"},
			Data:       map[string][]byte{"password": []byte(value)},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		stored, ok := c.EtcdGet(t, "/registry/secrets/default/encrypted")
		if !ok {
			t.Fatal("secret not found in etcd")
		}
		if !bytes.HasPrefix(stored, []byte("k8s:enc:aescbc:v1:key1:")) || bytes.Contains(stored, []byte(value)) {
			// Not printing the value: it would be the secret in clear.
			t.Errorf("secret stored unencrypted (%d bytes, prefix k8s:enc: %v)", len(stored), bytes.HasPrefix(stored, []byte("k8s:enc:")))
		}
		got, err := c.Client.CoreV1().Secrets("default").Get(ctx, "encrypted", metav1.GetOptions{})
		if err != nil || string(got.Data["password"]) != value {
			t.Errorf("secret does not read back through the API (err %v)", err)
		}
		// Other resources are not encrypted by this configuration.
		if cm, ok := c.EtcdGet(t, "/registry/configmaps/kube-system/extension-apiserver-authentication"); !ok || bytes.HasPrefix(cm, []byte("k8s:enc:")) {
			t.Errorf("configmap in etcd: found %v, encrypted %v", ok, bytes.HasPrefix(cm, []byte("k8s:enc:")))
		}
	})

	t.Run("pod security admission", func(t *testing.T) {
		createNamespace(t, c.Client, "restricted", map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
		pod := func(name string, privileged bool) *corev1.Pod {
			sc := &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptr.To(false),
				RunAsNonRoot:             ptr.To(true),
				SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
				Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			}
			if privileged {
				sc = &corev1.SecurityContext{Privileged: ptr.To(true)}
			}
			return &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: name},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "app", Image: "registry.example/app:1", SecurityContext: sc,
				}}},
			}
		}
		_, err := c.Client.CoreV1().Pods("restricted").Create(ctx, pod("privileged", true), metav1.CreateOptions{})
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "violates PodSecurity") {
			t.Errorf("privileged pod: err = %v, want Forbidden by PodSecurity", err)
		}
		if _, err := c.Client.CoreV1().Pods("restricted").Create(ctx, pod("restricted", false), metav1.CreateOptions{}); err != nil {
			t.Errorf("restricted pod rejected: %v", err)
		}
	})

	t.Run("anonymous off", func(t *testing.T) {
		for path, want := range map[string]int{"/api/v1/namespaces": 401, "/version": 401, "/healthz": 200} {
			if got := anonymousGet(t, c.Config, path).StatusCode; got != want {
				t.Errorf("anonymous GET %s: %d, want %d", path, got, want)
			}
		}
	})

	t.Run("clusterrole aggregation", func(t *testing.T) {
		label := "kharden.dev/aggregate-to-test"
		_, err := c.Client.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: "aggregated"},
			AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{
				{MatchLabels: map[string]string{label: "true"}},
			}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rule := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}}
		_, err = c.Client.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: "part", Labels: map[string]string{label: "true"}},
			Rules:      []rbacv1.PolicyRule{rule},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "the aggregated ClusterRole's rules", func(ctx context.Context) bool {
			cr, err := c.Client.RbacV1().ClusterRoles().Get(ctx, "aggregated", metav1.GetOptions{})
			return err == nil && len(cr.Rules) == 1 && cr.Rules[0].Resources[0] == "configmaps"
		})
	})

	t.Run("service account token", func(t *testing.T) {
		createNamespace(t, c.Client, "tokens", nil)
		eventually(t, "the default ServiceAccount", func(ctx context.Context) bool {
			_, err := c.Client.CoreV1().ServiceAccounts("tokens").Get(ctx, "default", metav1.GetOptions{})
			return err == nil
		})
		_, err := c.Client.CoreV1().Secrets("tokens").Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "default-token", Annotations: map[string]string{corev1.ServiceAccountNameKey: "default"}},
			Type:       corev1.SecretTypeServiceAccountToken,
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var token []byte
		eventually(t, "the token controller to fill the Secret", func(ctx context.Context) bool {
			s, err := c.Client.CoreV1().Secrets("tokens").Get(ctx, "default-token", metav1.GetOptions{})
			if err != nil {
				return false
			}
			token = s.Data[corev1.ServiceAccountTokenKey]
			return len(token) > 0 && len(s.Data[corev1.ServiceAccountRootCAKey]) > 0
		})
		// The token is signed with the key the API server verifies with.
		cfg := rest.AnonymousClientConfig(c.Config)
		cfg.BearerToken = string(token)
		if u := whoAmI(t, cfg); u.Username != "system:serviceaccount:tokens:default" {
			t.Errorf("the legacy token authenticates as %q", u.Username)
		}
	})
}

// auditLogHas reports whether the JSON-lines audit log holds a matching event.
func auditLogHas(t *testing.T, path string, match func(auditv1.Event) bool) bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		var e auditv1.Event
		if len(line) > 0 && json.Unmarshal(line, &e) == nil && match(e) {
			return true
		}
	}
	return false
}

// anonymousGet makes a request without credentials (trusting the CA).
func anonymousGet(t *testing.T, admin *rest.Config, path string) *http.Response {
	t.Helper()
	hc, err := rest.HTTPClientFor(rest.AnonymousClientConfig(admin))
	if err != nil {
		t.Fatal(err)
	}
	res, err := hc.Get(strings.TrimSuffix(admin.Host, "/") + path)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(body))
	return res
}
