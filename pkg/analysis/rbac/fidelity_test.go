package rbac_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	authzv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kharden/kharden/internal/testcluster"
	"github.com/kharden/kharden/pkg/analysis/rbac"
	"github.com/kharden/kharden/pkg/analysis/rbac/rbacgen"
	"github.com/kharden/kharden/pkg/inventory"
)

// Sizes of the differential test: questions asked of kharden and of the
// API server, and requests asked about every subject for who-can.
const (
	fidelityQuestions = 10000
	whoCanRequests    = 250
	sarWorkers        = 8
	defaultRBACSeed   = 1
)

// rbacKinds are what the index reads.
var rbacKinds = []schema.GroupKind{inventory.KindRole, inventory.KindClusterRole,
	inventory.KindRoleBinding, inventory.KindClusterRoleBinding}

// fidelityEnv is the cluster and the two indexes of the generated set the
// subtests share: files, where kharden resolves aggregation itself (the
// generated objects plus the server's own RBAC objects as they were before
// the set was created), and cluster, loaded from the server once the
// aggregation controller settled.
type fidelityEnv struct {
	seed           int64
	objects        []map[string]any
	client         kubernetes.Interface
	files, cluster *rbac.Index
}

// TestFidelityAgainstAPIServer holds the index to the answers of a real
// kube-apiserver (RBAC authorizer, system:masters) and of the real
// clusterrole-aggregation controller, on a random RBAC set: first
// Authorize against SubjectAccessReviews of random questions, then WhoCan
// against a SubjectAccessReview per subject. KHARDEN_RBAC_SEED picks
// another set.
func TestFidelityAgainstAPIServer(t *testing.T) {
	seed := fidelitySeed(t)
	start := time.Now()
	c := testcluster.Start(t, testcluster.Options{Controllers: []string{"clusterrole-aggregation"}})
	ctx := t.Context()
	before := loadRBAC(ctx, t, c.Config)
	// SubjectAccessReviews are cheap: the admin client's rate limit
	// (1000/s) would be most of the test's time.
	sarConfig := rest.CopyConfig(c.Config)
	sarConfig.QPS, sarConfig.Burst = 10000, 20000
	env := &fidelityEnv{seed: seed, objects: rbacgen.Generate(seed, rbacgen.Fidelity()),
		client: kubernetes.NewForConfigOrDie(sarConfig)}
	createObjects(ctx, t, c.Config, env.objects)

	var b inventory.Builder
	for _, o := range before.Objects {
		b.Add(o)
	}
	if err := rbacgen.Add(&b, env.objects); err != nil {
		t.Fatal(err)
	}
	env.files = rbac.Build(b.Build())
	waitAggregated(ctx, t, c.Client, env.files)
	waitAuthorizerCaughtUp(ctx, t, c.Config)
	env.cluster = rbac.Build(loadRBAC(ctx, t, c.Config))
	t.Logf("seed %d: %d objects created, aggregation settled, indexes built in %v",
		seed, len(env.objects), time.Since(start).Round(time.Millisecond))

	t.Run("Authorize", env.testAuthorize)
	t.Run("WhoCan", env.testWhoCan)
}

func fidelitySeed(t *testing.T) int64 {
	s := os.Getenv("KHARDEN_RBAC_SEED")
	if s == "" {
		return defaultRBACSeed
	}
	seed, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("KHARDEN_RBAC_SEED=%q: want an integer", s)
	}
	return seed
}

func loadRBAC(ctx context.Context, t *testing.T, cfg *rest.Config) *inventory.Inventory {
	t.Helper()
	inv, err := inventory.LoadCluster(ctx, inventory.ClusterOptions{Config: cfg, Kinds: rbacKinds})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Diagnostics) > 0 {
		t.Fatalf("loading RBAC from the cluster: %v", inv.Diagnostics)
	}
	return inv
}

// createObjects creates the namespaces, then everything else with a few
// requests at a time.
func createObjects(ctx context.Context, t *testing.T, cfg *rest.Config, objects []map[string]any) {
	t.Helper()
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var namespaces, others []map[string]any
	for _, o := range objects {
		if o["kind"] == "Namespace" {
			namespaces = append(namespaces, o)
		} else {
			others = append(others, o)
		}
	}
	for _, wave := range [][]map[string]any{namespaces, others} {
		err := parallel(len(wave), func(i int) error {
			u := &unstructured.Unstructured{Object: runtime.DeepCopyJSON(wave[i])}
			gvr := schema.GroupVersionResource{Group: u.GroupVersionKind().Group, Version: "v1",
				Resource: strings.ToLower(u.GetKind()) + "s"}
			var ri dynamic.ResourceInterface = dyn.Resource(gvr)
			if u.GetNamespace() != "" {
				ri = dyn.Resource(gvr).Namespace(u.GetNamespace())
			}
			if _, err := ri.Create(ctx, u, metav1.CreateOptions{}); err != nil {
				return fmt.Errorf("creating %s %s/%s: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// parallel runs fn(0..n-1) on sarWorkers goroutines and returns the first
// error.
func parallel(n int, fn func(i int) error) error {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	next := make(chan int)
	for range sarWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return firstErr
}

// aggregationWait bounds how long the controller may take to settle.
const aggregationWait = 60 * time.Second

// waitAggregated waits until every aggregated ClusterRole on the server has
// the rules the index computed, in the same order, twice in a row.
func waitAggregated(ctx context.Context, t *testing.T, cs kubernetes.Interface, x *rbac.Index) {
	t.Helper()
	var diff string
	stable := 0
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, aggregationWait, true, func(ctx context.Context) (bool, error) {
		list, err := cs.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		diff = aggregationDiff(list.Items, x)
		if diff != "" {
			stable = 0
			return false, nil
		}
		stable++
		return stable >= 2, nil
	})
	if err != nil {
		t.Fatalf("aggregation did not settle on what kharden computes within %v: %s", aggregationWait, diff)
	}
}

// aggregationDiff describes the first aggregated ClusterRole whose rules
// on the server differ from the index's ("" when none does).
func aggregationDiff(live []rbacv1.ClusterRole, x *rbac.Index) string {
	for _, cr := range live {
		if cr.AggregationRule == nil {
			continue
		}
		r := x.Role("", cr.Name)
		if r == nil {
			return fmt.Sprintf("ClusterRole %s is not in the index", cr.Name)
		}
		if got, want := rulesText(r.Rules), rulesText(cr.Rules); got != want {
			return fmt.Sprintf("ClusterRole %s:\n  server:  %s\n  kharden: %s", cr.Name, want, got)
		}
	}
	return ""
}

func rulesText(rules []rbacv1.PolicyRule) string {
	parts := make([]string, len(rules))
	for i, r := range rules {
		parts[i] = rbac.RuleString(r)
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

// waitAuthorizerCaughtUp creates a Role, RoleBinding, ClusterRole and
// ClusterRoleBinding after everything else and waits until the authorizer
// allows what they grant: its informers deliver each kind's changes in
// order, so by then it has seen the whole set and the controller's
// updates. Nothing of ours selects or asks about the sentinel objects.
func waitAuthorizerCaughtUp(ctx context.Context, t *testing.T, cfg *rest.Config) {
	t.Helper()
	const name, verb, ns = "kh-sentinel", "kh-sentinel-verb", "kh-ns-0"
	rules := []rbacv1.PolicyRule{{Verbs: []string{verb}, APIGroups: []string{""}, Resources: []string{name}}}
	ref := func(kind string) rbacv1.RoleRef {
		return rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: name}
	}
	user := func(n string) []rbacv1.Subject {
		return []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: n}}
	}
	cs := kubernetes.NewForConfigOrDie(cfg)
	rb := cs.RbacV1()
	meta := metav1.ObjectMeta{Name: name}
	nsMeta := metav1.ObjectMeta{Name: name, Namespace: ns}
	for _, err := range []error{
		ignore(rb.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: meta, Rules: rules}, metav1.CreateOptions{})),
		ignore(rb.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: meta, RoleRef: ref("ClusterRole"), Subjects: user(name)}, metav1.CreateOptions{})),
		ignore(rb.Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: nsMeta, Rules: rules}, metav1.CreateOptions{})),
		ignore(rb.RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: nsMeta, RoleRef: ref("Role"), Subjects: user(name + "-ns")}, metav1.CreateOptions{})),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		a, err1 := subjectAccessReview(ctx, cs, rbac.User{Name: name}, rbac.Request{Verb: verb, Resource: name})
		b, err2 := subjectAccessReview(ctx, cs, rbac.User{Name: name + "-ns"}, rbac.Request{Verb: verb, Resource: name, Namespace: ns})
		return err1 == nil && err2 == nil && a && b, nil
	})
	if err != nil {
		t.Fatalf("the authorizer did not see the sentinel bindings: %v", err)
	}
}

func ignore[T any](_ T, err error) error { return err }

// subjectAccessReview asks the API server whether the user may make the
// request.
func subjectAccessReview(ctx context.Context, cs kubernetes.Interface, u rbac.User, req rbac.Request) (bool, error) {
	spec := authzv1.SubjectAccessReviewSpec{User: u.Name, Groups: u.Groups}
	if req.IsResource() {
		spec.ResourceAttributes = &authzv1.ResourceAttributes{Namespace: req.Namespace, Verb: req.Verb,
			Group: req.APIGroup, Resource: req.Resource, Subresource: req.Subresource, Name: req.Name}
	} else {
		spec.NonResourceAttributes = &authzv1.NonResourceAttributes{Path: req.Path, Verb: req.Verb}
	}
	var res *authzv1.SubjectAccessReview
	var err error
	for try := 0; try < 3; try++ {
		res, err = cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authzv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
		if err == nil {
			return res.Status.Allowed, nil
		}
		if apierrors.IsBadRequest(err) || apierrors.IsInvalid(err) || ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false, fmt.Errorf("SubjectAccessReview for %s (%s): %w", u.Name, req, err)
}

// askServer asks every question of the API server, sarWorkers at a time.
func askServer(ctx context.Context, t *testing.T, cs kubernetes.Interface, qs []rbacgen.Question) []bool {
	t.Helper()
	out := make([]bool, len(qs))
	err := parallel(len(qs), func(i int) error {
		var err error
		out[i], err = subjectAccessReview(ctx, cs, qs[i].User, qs[i].Request)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// maxReported is how many disagreements a failure prints.
const maxReported = 20

func (env *fidelityEnv) testAuthorize(t *testing.T) {
	qs := rbacgen.Questions(env.seed, env.objects, fidelityQuestions)
	start := time.Now()
	server := askServer(t.Context(), t, env.client, qs)
	elapsed := time.Since(start)
	var allowed int
	var report []string
	disagree := 0
	for i, q := range qs {
		if server[i] {
			allowed++
		}
		files, _ := env.files.Authorize(q.User, q.Request, false)
		cluster, _ := env.cluster.Authorize(q.User, q.Request, false)
		if files == server[i] && cluster == server[i] {
			continue
		}
		disagree++
		if len(report) < maxReported {
			report = append(report, fmt.Sprintf("%s: server %v, kharden (files) %v, kharden (cluster) %v\n%s%s",
				question(q), server[i], files, cluster,
				grantsText("files", env.files, q), grantsText("cluster", env.cluster, q)))
		}
	}
	t.Logf("seed %d: %d questions, %d allowed, %d denied by the API server; %d SubjectAccessReviews in %v (%.0f/s)",
		env.seed, len(qs), allowed, len(qs)-allowed, len(qs), elapsed.Round(time.Millisecond), float64(len(qs))/elapsed.Seconds())
	if share := float64(allowed) / float64(len(qs)); share < 0.2 || share > 0.8 {
		t.Errorf("only %.0f%% of the questions are allowed: the test would not tell much", 100*share)
	}
	if missing := uncovered(env.files, qs); len(missing) > 0 {
		t.Errorf("no question was allowed through %s: the set or the questions lost variety", strings.Join(missing, ", "))
	}
	if disagree > 0 {
		t.Fatalf("seed %d (rerun with KHARDEN_RBAC_SEED=%d): kharden disagrees with the API server on %d of %d questions (%d allowed by the server); the first %d:\n%s",
			env.seed, env.seed, disagree, len(qs), allowed, len(report), strings.Join(report, "\n"))
	}
}

// uncovered lists the features of rules, bindings and subjects that no
// allowed question rests on: a question set that never exercises one
// cannot tell whether kharden gets it right.
func uncovered(x *rbac.Index, qs []rbacgen.Question) []string {
	seen := map[string]bool{}
	for _, q := range qs {
		_, grants := x.Authorize(q.User, q.Request, true)
		for _, g := range grants {
			for _, f := range grantFeatures(g) {
				seen[f] = true
			}
		}
	}
	var missing []string
	for _, f := range []string{"verb *", "apiGroup *", "resource *", "resource */sub", "resource res/sub",
		"resourceNames", "nonResourceURL exact", "nonResourceURL prefix", "RoleBinding to Role",
		"RoleBinding to ClusterRole", "ClusterRoleBinding", "User", "Group", "ServiceAccount",
		"ServiceAccount without namespace", "aggregated role", "aggregated from an aggregated role",
		"built-in role", "impersonate", "bind", "escalate"} {
		if !seen[f] {
			missing = append(missing, f)
		}
	}
	return missing
}

func grantFeatures(g rbac.Grant) []string {
	rule := g.PolicyRule()
	var fs []string
	add := func(cond bool, f string) {
		if cond {
			fs = append(fs, f)
		}
	}
	for _, v := range rule.Verbs {
		add(v == "*", "verb *")
		add(v == "impersonate" || v == "bind" || v == "escalate", v)
	}
	for _, a := range rule.APIGroups {
		add(a == "*", "apiGroup *")
	}
	for _, r := range rule.Resources {
		add(r == "*", "resource *")
		add(strings.HasPrefix(r, "*/"), "resource */sub")
		add(strings.Contains(r, "/") && !strings.HasPrefix(r, "*/"), "resource res/sub")
	}
	add(len(rule.ResourceNames) > 0, "resourceNames")
	for _, u := range rule.NonResourceURLs {
		add(strings.HasSuffix(u, "*"), "nonResourceURL prefix")
		add(!strings.HasSuffix(u, "*"), "nonResourceURL exact")
	}
	switch {
	case g.Binding.Cluster():
		fs = append(fs, "ClusterRoleBinding")
	case g.Role.Cluster():
		fs = append(fs, "RoleBinding to ClusterRole")
	default:
		fs = append(fs, "RoleBinding to Role")
	}
	fs = append(fs, g.Subject.Kind)
	add(g.Subject.Kind == rbacv1.ServiceAccountKind && g.Subject.Namespace == "", "ServiceAccount without namespace")
	add(g.Role.Aggregation != nil, "aggregated role")
	add(g.Role.BuiltIn, "built-in role")
	if g.Role.Aggregation != nil && g.Rule < len(g.Role.RuleSources) {
		add(strings.HasPrefix(g.Role.RuleSources[g.Rule], "kh-agg-"), "aggregated from an aggregated role")
	}
	return fs
}

func question(q rbacgen.Question) string {
	return fmt.Sprintf("%s %v may %s", q.User.Name, q.User.Groups, q.Request)
}

func grantsText(name string, x *rbac.Index, q rbacgen.Question) string {
	_, grants := x.Authorize(q.User, q.Request, true)
	var b strings.Builder
	for _, g := range grants {
		fmt.Fprintf(&b, "    %s grant: %s -> %s rule %d: %s (subject %s)\n", name, g.Binding.Ref, g.Role.Ref, g.Rule,
			rbac.RuleString(g.PolicyRule()), rbac.SubjectString(g.Binding, g.Subject))
	}
	return b.String()
}

// testWhoCan checks, for a few hundred requests and every subject of the
// set, that the subject is in WhoCan(request) exactly when the API server
// allows that subject alone the request.
func (env *fidelityEnv) testWhoCan(t *testing.T) {
	subjects := rbacgen.Subjects(env.objects)
	var reqs []rbac.Request
	seen := map[rbac.Request]bool{}
	for _, q := range rbacgen.Questions(env.seed+1, env.objects, 2*whoCanRequests) {
		if !seen[q.Request] && len(reqs) < whoCanRequests {
			seen[q.Request] = true
			reqs = append(reqs, q.Request)
		}
	}
	var qs []rbacgen.Question
	for _, req := range reqs {
		for _, s := range subjects {
			qs = append(qs, rbacgen.Question{User: alone(s), Request: req})
		}
	}
	start := time.Now()
	server := askServer(t.Context(), t, env.client, qs)
	elapsed := time.Since(start)
	var report []string
	disagree, allowed := 0, 0
	for i, req := range reqs {
		files, cluster := whoSet(env.files.WhoCan(req)), whoSet(env.cluster.WhoCan(req))
		for j, s := range subjects {
			want := server[i*len(subjects)+j]
			if want {
				allowed++
			}
			if files[s] == want && cluster[s] == want {
				continue
			}
			disagree++
			if len(report) < maxReported {
				report = append(report, fmt.Sprintf("%s %s/%s may %s: server %v, in who-can (files) %v, (cluster) %v",
					s.Kind, s.Namespace, s.Name, req, want, files[s], cluster[s]))
			}
		}
	}
	t.Logf("seed %d: %d requests x %d subjects, %d allowed; %d SubjectAccessReviews in %v",
		env.seed, len(reqs), len(subjects), allowed, len(qs), elapsed.Round(time.Millisecond))
	if allowed == 0 {
		t.Error("no subject is allowed any request: the test would not tell much")
	}
	if disagree > 0 {
		t.Fatalf("seed %d (rerun with KHARDEN_RBAC_SEED=%d): who-can disagrees with the API server %d times; the first %d:\n%s",
			env.seed, env.seed, disagree, len(report), strings.Join(report, "\n"))
	}
}

// alone is the identity a subject alone has: a User with no groups, a
// Group's member with a name no binding names, a ServiceAccount with no
// groups.
func alone(s rbacgen.Subject) rbac.User {
	switch s.Kind {
	case rbacv1.UserKind:
		return rbac.User{Name: s.Name}
	case rbacv1.GroupKind:
		return rbac.User{Name: "kh-who-can-probe", Groups: []string{s.Name}}
	}
	return rbac.User{Name: rbac.ServiceAccountUser(s.Namespace, s.Name)}
}

func whoSet(list []rbac.SubjectAccess) map[rbacgen.Subject]bool {
	out := map[rbacgen.Subject]bool{}
	for _, sa := range list {
		out[rbacgen.Subject{Kind: sa.Kind, Name: sa.Name, Namespace: sa.Namespace}] = true
	}
	return out
}

// TestAggregationFindingNothingKeepsDeclaredRules pins what the fidelity
// test found: the aggregation controller server-side applies the rules it
// aggregates, and applies none when it finds none, so an aggregated
// ClusterRole selecting nothing keeps the rules it was created with.
func TestAggregationFindingNothingKeepsDeclaredRules(t *testing.T) {
	declared := []any{map[string]any{"verbs": []any{"get"}, "apiGroups": []any{""}, "resources": []any{"pods"}}}
	objs := []map[string]any{
		{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": map[string]any{"name": "none"},
			"aggregationRule": map[string]any{"clusterRoleSelectors": []any{map[string]any{"matchLabels": map[string]any{"x": "nothing"}}}},
			"rules":           declared},
		{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": map[string]any{"name": "some"},
			"aggregationRule": map[string]any{"clusterRoleSelectors": []any{map[string]any{"matchLabels": map[string]any{"x": "y"}}}},
			"rules":           declared},
		{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
			"metadata": map[string]any{"name": "part", "labels": map[string]any{"x": "y"}},
			"rules":    []any{map[string]any{"verbs": []any{"list"}, "apiGroups": []any{""}, "resources": []any{"secrets"}}}},
	}
	inv, err := rbacgen.Inventory(objs)
	if err != nil {
		t.Fatal(err)
	}
	x := rbac.Build(inv)
	if got := rulesText(x.Role("", "none").Rules); got != "[get pods]" {
		t.Errorf("aggregating nothing: rules %s, want the declared [get pods]", got)
	}
	if got := rulesText(x.Role("", "some").Rules); got != "[list secrets]" {
		t.Errorf("aggregating something: rules %s, want the aggregated [list secrets] only", got)
	}
}
