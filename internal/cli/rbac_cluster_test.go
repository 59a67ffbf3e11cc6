package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kharden/kharden/internal/testcluster"
)

// rbacProbeUser is the user name groups are asked with: no binding names it.
const rbacProbeUser = "kharden-probe-nobody"

// TestRBACWhoCanLive holds `rbac who-can --cluster` to the API server's own
// answers, both ways: every subject any binding of the cluster names (the
// bootstrap ones included) is listed exactly when a SubjectAccessReview of
// that subject alone is allowed.
func TestRBACWhoCanLive(t *testing.T) {
	noKubeconfig(t)
	c := testcluster.Start(t, testcluster.Options{Controllers: []string{"clusterrole-aggregation"}})
	ctx := context.Background()
	cfg := rest.CopyConfig(c.Config)
	cfg.QPS, cfg.Burst = 1000, 2000
	cs := kubernetes.NewForConfigOrDie(cfg)
	rbacLiveObjects(t, ctx, cs)

	// The aggregation controller fills the aggregated role; ask after it.
	deadline := time.Now().Add(60 * time.Second)
	for {
		cr, err := cs.RbacV1().ClusterRoles().Get(ctx, "secret-auditor", metav1.GetOptions{})
		if err == nil && len(cr.Rules) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("secret-auditor was not aggregated: %v %+v", err, cr)
		}
		time.Sleep(200 * time.Millisecond)
	}

	subjects := rbacLiveSubjects(t, ctx, cs)
	questions := [][]string{
		{"get", "secrets", "-n", "shop"},
		{"list", "secrets"},
		{"get", "secrets", "-n", "shop", "--name", "db"},
		{"create", "deploy", "-n", "billing"},
		{"get", "pods/log", "-n", "shop"},
		{"get", "/healthz"},
		{"delete", "nodes"},
		{"list", "clusterrolebindings.rbac.authorization.k8s.io"},
		{"update", "configmaps", "-n", "kube-system", "--name", "extension-apiserver-authentication"},
	}
	for _, q := range questions {
		t.Run(strings.Join(q, " "), func(t *testing.T) {
			args := append([]string{"rbac", "who-can"}, q...)
			args = append(args, "--cluster", "--kubeconfig", c.KubeconfigPath, "-o", "json")
			code, stdout, stderr := run(t, "", args...)
			if code != ExitOK {
				t.Fatalf("exit %d; stderr:\n%s", code, stderr)
			}
			a := parseWhoCan(t, stdout)
			listed := map[rbacv1.Subject]bool{}
			for _, s := range a.Subjects {
				k := rbacv1.Subject{Kind: s.Kind, Name: s.Name}
				if s.Namespace != nil {
					k.Namespace = *s.Namespace
				}
				listed[k] = true
				if !s.Privileged && len(s.Via) == 0 {
					t.Errorf("%v listed without a grant", k)
				}
			}
			if !listed[rbacv1.Subject{Kind: rbacv1.GroupKind, Name: "system:masters"}] {
				t.Error("system:masters is not listed")
			}
			all := append([]rbacv1.Subject{{Kind: rbacv1.GroupKind, Name: "system:masters"}}, subjects...)
			for k := range listed {
				all = append(all, k)
			}
			checked := map[rbacv1.Subject]bool{}
			allowedCount := 0
			for _, s := range all {
				if checked[s] {
					continue
				}
				checked[s] = true
				allowed := rbacSAR(t, ctx, cs, s, a)
				if allowed {
					allowedCount++
				}
				if allowed != listed[s] {
					t.Errorf("%s %s/%s: API server allows %v, who-can lists %v", s.Kind, s.Namespace, s.Name, allowed, listed[s])
				}
			}
			if allowedCount < 2 {
				t.Errorf("only %d subject(s) allowed: the question tests nothing", allowedCount)
			}
		})
	}

	t.Run("get secrets db -A", func(t *testing.T) {
		code, stdout, stderr := run(t, "", "rbac", "who-can", "get", "secrets", "--name", "db", "-A", "--cluster", "--kubeconfig", c.KubeconfigPath, "-o", "json")
		if code != ExitOK {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr)
		}
		a := parseWhoCan(t, stdout)
		where := map[rbacv1.Subject]map[string]bool{}
		for _, s := range a.Subjects {
			k := rbacv1.Subject{Kind: s.Kind, Name: s.Name}
			if s.Namespace != nil {
				k.Namespace = *s.Namespace
			}
			where[k] = map[string]bool{}
			for _, ns := range s.Namespaces {
				where[k][ns] = true
			}
		}
		if !where[rbacv1.Subject{Kind: rbacv1.UserKind, Name: "erin"}]["shop"] {
			t.Errorf("erin (resourceNames) is not listed in shop: %v", where)
		}
		namespaces := []string{"shop", "billing", "kube-system", "kube-public", "default"}
		all := append([]rbacv1.Subject{{Kind: rbacv1.GroupKind, Name: "system:masters"}}, subjects...)
		for _, s := range all {
			for _, ns := range namespaces {
				q := a
				q.Request.Namespace = ns
				allowed := rbacSAR(t, ctx, cs, s, q)
				if listed := where[s]["*"] || where[s][ns]; allowed != listed {
					t.Errorf("%s %s/%s in %s: API server allows %v, who-can -A lists %v", s.Kind, s.Namespace, s.Name, ns, allowed, listed)
				}
			}
		}
	})
	t.Run("can", func(t *testing.T) {
		code, stdout, stderr := run(t, "", "rbac", "can", "sa:shop/ci", "-n", "shop", "--cluster", "--kubeconfig", c.KubeconfigPath)
		if code != ExitOK || !strings.Contains(stdout, "RoleBinding/shop/shop-deployers -> ClusterRole/deployer rule 1") ||
			!strings.Contains(stdout, "RoleBinding/shop/shop-sa-pod-readers -> Role/shop/pod-reader rule 1") {
			t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
		}
	})
	t.Run("review and risks", func(t *testing.T) {
		code, stdout, stderr := run(t, "", "access", "review", "--cluster", "--kubeconfig", c.KubeconfigPath, "-o", "json")
		var r accessReviewJSON
		if code != ExitOK || json.Unmarshal([]byte(stdout), &r) != nil || len(r.ClusterAdmins) == 0 {
			t.Errorf("access review: exit %d\n%s\n%s", code, stdout, stderr)
		}
		code, _, stderr = run(t, "", "rbac", "risks", "--cluster", "--kubeconfig", c.KubeconfigPath, "-o", "json")
		if code != ExitOK {
			t.Errorf("rbac risks: exit %d\n%s", code, stderr)
		}
	})
}

// rbacSAR asks the API server whether the subject alone (a Group with a
// user no binding names, a ServiceAccount without its groups) may make
// the request of the answer.
func rbacSAR(t *testing.T, ctx context.Context, cs kubernetes.Interface, s rbacv1.Subject, a whoCanJSON) bool {
	t.Helper()
	spec := authorizationv1.SubjectAccessReviewSpec{}
	switch s.Kind {
	case rbacv1.UserKind:
		spec.User = s.Name
	case rbacv1.GroupKind:
		spec.User, spec.Groups = rbacProbeUser, []string{s.Name}
	case rbacv1.ServiceAccountKind:
		spec.User = "system:serviceaccount:" + s.Namespace + ":" + s.Name
	}
	r := a.Request
	if r.Path != "" {
		spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Path: r.Path, Verb: r.Verb}
	} else {
		spec.ResourceAttributes = &authorizationv1.ResourceAttributes{Namespace: r.Namespace, Verb: r.Verb, Group: r.APIGroup,
			Resource: r.Resource, Subresource: r.Subresource, Name: r.Name}
	}
	res, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("SubjectAccessReview for %v: %v", s, err)
	}
	return res.Status.Allowed
}

// rbacLiveSubjects lists every subject the cluster's bindings name that a
// request can match.
func rbacLiveSubjects(t *testing.T, ctx context.Context, cs kubernetes.Interface) []rbacv1.Subject {
	t.Helper()
	crbs, err := cs.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rbs, err := cs.RbacV1().RoleBindings("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[rbacv1.Subject]bool{}
	var out []rbacv1.Subject
	add := func(bindingNS string, subjects []rbacv1.Subject) {
		for _, s := range subjects {
			k := rbacv1.Subject{Kind: s.Kind, Name: s.Name}
			if s.Kind == rbacv1.ServiceAccountKind {
				if k.Namespace = s.Namespace; k.Namespace == "" {
					k.Namespace = bindingNS
				}
			}
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	for _, b := range crbs.Items {
		add("", b.Subjects)
	}
	for _, b := range rbs.Items {
		add(b.Namespace, b.Subjects)
	}
	if len(out) < 10 {
		t.Fatalf("only %d subjects in the cluster's bindings", len(out))
	}
	return out
}

// rbacLiveObjects creates the RBAC objects of the who-can fixture in the
// cluster, plus a role limited to one Secret by name.
func rbacLiveObjects(t *testing.T, ctx context.Context, cs kubernetes.Interface) {
	t.Helper()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, ns := range []string{"shop", "billing"} {
		must(cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}))
	}
	core := func(verbs []string, res ...string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{APIGroups: []string{""}, Resources: res, Verbs: verbs}
	}
	group := func(name string) rbacv1.Subject {
		return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
	}
	user := func(name string) rbacv1.Subject {
		return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
	}
	roleRef := func(kind, name string) rbacv1.RoleRef {
		return rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: name}
	}
	label := map[string]string{"example.com/aggregate-to-secret-auditor": "true"}
	crs := []rbacv1.ClusterRole{
		{ObjectMeta: metav1.ObjectMeta{Name: "secret-auditor"}, AggregationRule: &rbacv1.AggregationRule{
			ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: label}}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "secret-auditor-configmaps", Labels: label}, Rules: []rbacv1.PolicyRule{core([]string{"get", "list"}, "configmaps")}},
		{ObjectMeta: metav1.ObjectMeta{Name: "secret-auditor-secrets", Labels: label}, Rules: []rbacv1.PolicyRule{core([]string{"get", "list", "watch"}, "secrets")}},
		{ObjectMeta: metav1.ObjectMeta{Name: "deployer"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list", "create", "update", "patch"}},
			core([]string{"get"}, "secrets")}},
	}
	for i := range crs {
		must(cs.RbacV1().ClusterRoles().Create(ctx, &crs[i], metav1.CreateOptions{}))
	}
	must(cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "auditors"},
		Subjects: []rbacv1.Subject{group("auditors"), user("carol")}, RoleRef: roleRef("ClusterRole", "secret-auditor")}, metav1.CreateOptions{}))
	roles := []rbacv1.Role{
		{ObjectMeta: metav1.ObjectMeta{Name: "pod-reader", Namespace: "shop"}, Rules: []rbacv1.PolicyRule{core([]string{"get", "list", "watch"}, "pods", "pods/log")}},
		{ObjectMeta: metav1.ObjectMeta{Name: "db-secret", Namespace: "shop"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"db"}, Verbs: []string{"get"}}}},
	}
	for i := range roles {
		must(cs.RbacV1().Roles(roles[i].Namespace).Create(ctx, &roles[i], metav1.CreateOptions{}))
	}
	rbs := []rbacv1.RoleBinding{
		{ObjectMeta: metav1.ObjectMeta{Name: "shop-deployers", Namespace: "shop"},
			Subjects: []rbacv1.Subject{group("shop-devs"), {Kind: rbacv1.ServiceAccountKind, Name: "ci"}}, RoleRef: roleRef("ClusterRole", "deployer")},
		{ObjectMeta: metav1.ObjectMeta{Name: "billing-deployers", Namespace: "billing"},
			Subjects: []rbacv1.Subject{user("bob")}, RoleRef: roleRef("ClusterRole", "deployer")},
		{ObjectMeta: metav1.ObjectMeta{Name: "shop-sa-pod-readers", Namespace: "shop"},
			Subjects: []rbacv1.Subject{group("system:serviceaccounts:shop")}, RoleRef: roleRef("Role", "pod-reader")},
		{ObjectMeta: metav1.ObjectMeta{Name: "erin-db", Namespace: "shop"},
			Subjects: []rbacv1.Subject{user("erin")}, RoleRef: roleRef("Role", "db-secret")},
	}
	for i := range rbs {
		must(cs.RbacV1().RoleBindings(rbs[i].Namespace).Create(ctx, &rbs[i], metav1.CreateOptions{}))
	}
}
