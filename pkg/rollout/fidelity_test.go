package rollout

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/kharden/kharden/internal/testcluster"
	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/checks"
)

// fidelityWorkers bounds the concurrent requests to the test API server.
const fidelityWorkers = 12

// fidActivationTimeout bounds the wait for the API server to load policies
// and bindings (it watches them and compiles asynchronously).
const fidActivationTimeout = 90 * time.Second

// TestVAPFidelityAgainstAPIServer is the fidelity proof of the policy export:
// every CEL rule of the catalogue, exported as a ValidatingAdmissionPolicy
// and bound in a real kube-apiserver, judges every object the server
// accepts (the rules' pass/fail fixtures and the workloads, Namespaces and
// Ingresses of the shared corpus) exactly as the scan engine does offline,
// with the same params: first bound in Warn (one warning per failing rule),
// then in Deny (rejected iff some rule fails, by a failing rule).
func TestVAPFidelityAgainstAPIServer(t *testing.T) {
	began := time.Now()
	rules := fidExportedRules(t)
	cfg := fidConfig(t, rules)
	params := checks.Params(cfg)
	corpus := fidCorpusDir(t)
	loaded := fidLoadObjects(t, rules, fidFixtureFiles(t, rules)...)
	nFixture := len(loaded)
	loaded = append(loaded, fidLoadObjects(t, rules, corpus)...)

	cluster := testcluster.Start(t, testcluster.Options{})
	ctx := context.Background()
	rc := rest.CopyConfig(cluster.Config)
	rc.QPS, rc.Burst = 1000, 2000
	rc.WarningHandler = nil
	rc.WarningHandlerWithContext = fidContextWarnings{}
	dyn := dynamic.NewForConfigOrDie(rc)
	cs := kubernetes.NewForConfigOrDie(rc)
	groups, err := restmapper.GetAPIGroupResources(discovery.NewDiscoveryClientForConfigOrDie(rc))
	if err != nil {
		t.Fatal(err)
	}
	mapper := restmapper.NewDiscoveryRESTMapper(groups)

	// The objects as sent, with their offline verdicts.
	rejected := map[string]int{}
	example := map[string]string{}
	reject := func(origin string, reason string) {
		rejected[reason]++
		if example[reason] == "" {
			example[reason] = origin
		}
	}
	nsNames := map[string]bool{cel.DefaultParamsRef.Namespace: true}
	var candidates []*fidelityObject
	for i, o := range loaded {
		fo, err := fidPrepare(mapper, o, i, nsNames)
		if err != nil {
			reject(o.Source.File, err.Error())
			continue
		}
		fo.fixture = i < nFixture
		fo.evaluateOffline(rules, params)
		candidates = append(candidates, fo)
	}
	fidCreateNamespaces(t, ctx, cs, nsNames)

	// Step 1: without any binding, what the API server accepts is the test set.
	errs := make([]error, len(candidates))
	fidParallel(len(candidates), fidelityWorkers, func(i int) {
		_, errs[i] = fidDryRunCreate(ctx, dyn, candidates[i])
	})
	var objs []*fidelityObject
	fixtureAccepted := 0
	for i, fo := range candidates {
		if errs[i] != nil {
			reject(fo.String(), fidRejectReason(errs[i]))
			continue
		}
		objs = append(objs, fo)
		if fo.fixture {
			fixtureAccepted++
		}
	}
	fidLogRejected(t, rejected, example)

	// Offline errors are disagreements of their own: the scan must judge.
	for _, o := range objs {
		for p, err := range o.evalErr {
			t.Errorf("%s: rule %s: offline evaluation error: %v", o, p, err)
		}
	}
	perRule := fidCoverage(t, rules, objs)

	// Step 2: bind every policy in Warn.
	cm := cel.ParamsConfigMap(cel.DefaultParamsRef, cel.ParamsStringData(cfg.AllowedRegistries, cfg.OwnerKeys, cfg.DataClassificationKey))
	if _, err := cs.CoreV1().ConfigMaps(cm.Namespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	vaps := cs.AdmissionregistrationV1().ValidatingAdmissionPolicies()
	bindings := cs.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings()
	for _, r := range rules {
		if _, err := vaps.Create(ctx, r.policy, metav1.CreateOptions{}); err != nil {
			t.Fatalf("%s: %v", r.policy.Name, err)
		}
		b := cel.ValidatingAdmissionPolicyBinding(r.policy, cel.DefaultParamsRef, admissionregistrationv1.Warn)
		if _, err := bindings.Create(ctx, b, metav1.CreateOptions{}); err != nil {
			t.Fatalf("%s: %v", b.Name, err)
		}
	}
	bad := fidKnownBad(t, rules, objs)
	// A binding is active once its policy's known-bad object gets the
	// policy's own message (not, say, a params lookup error).
	fidWaitActive(t, ctx, dyn, "Warn", bad, func(policy string, warns map[string]fidServerWarning, err error) bool {
		w, ok := warns[policy]
		return err == nil && ok && fidMissingMessage(bad[policy].failing[policy], w) == ""
	})

	warnings := make([]map[string]fidServerWarning, len(objs))
	errs = make([]error, len(objs))
	fidParallel(len(objs), fidelityWorkers, func(i int) {
		warnings[i], errs[i] = fidDryRunCreate(ctx, dyn, objs[i])
	})
	pairs, warnAgree := 0, 0
	for i, o := range objs {
		if errs[i] != nil {
			t.Errorf("%s: %s with Warn bindings", o, fidSafeError(errs[i]))
			continue
		}
		for _, r := range rules {
			if !r.check.AppliesTo(o.obj.GK) {
				continue
			}
			pairs++
			name := r.policy.Name
			vs, offline := o.failing[name]
			w, server := warnings[i][name]
			if offline != server {
				t.Errorf("DISAGREEMENT (Warn) %s\n  rule %s\n  expression:\n%s\n  offline violations: %s\n  server warning: %s",
					o, r.check.ID, fidIndent(fidExpressionOf(r)), fidDescribe(vs), fidDescribeWarning(w, server))
				continue
			}
			if msg := fidMissingMessage(vs, w); msg != "" {
				t.Errorf("%s: rule %s: server warning %q lacks offline message %q", o, r.check.ID, w.message, msg)
				continue
			}
			warnAgree++
		}
	}

	// Step 3: switch every binding to Deny.
	for _, r := range rules {
		b, err := bindings.Get(ctx, r.policy.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b.Spec.ValidationActions = []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}
		if _, err := bindings.Update(ctx, b, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// A binding is in Deny once its policy's known-bad object is refused
	// without that policy's warning.
	fidWaitActive(t, ctx, dyn, "Deny", bad, func(policy string, warns map[string]fidServerWarning, err error) bool {
		_, warned := warns[policy]
		_, _, denied := fidDeniedBy(err)
		return denied && !warned
	})
	errs = make([]error, len(objs))
	fidParallel(len(objs), fidelityWorkers, func(i int) {
		_, errs[i] = fidDryRunCreate(ctx, dyn, objs[i])
	})
	denyAgree, deniedN := 0, 0
	for i, o := range objs {
		want := len(o.failing) > 0
		policy, msg, denied := fidDeniedBy(errs[i])
		switch {
		case errs[i] != nil && !denied:
			t.Errorf("%s: not denied by a policy but %s", o, fidSafeError(errs[i]))
		case denied != want:
			t.Errorf("DISAGREEMENT (Deny) %s\n  offline failing rules: %v\n  server: %s", o, o.failingPolicies(), fidSafeError(errs[i]))
		case denied && o.failing[policy] == nil:
			t.Errorf("DISAGREEMENT (Deny) %s: denied by %s, which passes offline (offline failing: %v): %s", o, policy, o.failingPolicies(), msg)
		case denied && fidMissingMessage(o.failing[policy], fidServerWarning{message: msg}) != "":
			t.Errorf("%s: denial by %s %q lacks the offline messages %s", o, policy, msg, fidDescribe(o.failing[policy]))
		default:
			denyAgree++
			if denied {
				deniedN++
			}
		}
	}

	var counts []string
	for _, r := range rules {
		c := perRule[r.policy.Name]
		counts = append(counts, fmt.Sprintf("%s %d fail/%d pass", r.check.ID, c[0], c[1]))
	}
	t.Logf("objects tried %d (%d fixture, %d corpus), accepted by the API server %d (%d fixture, %d corpus), rejected %d",
		len(loaded), nFixture, len(loaded)-nFixture, len(objs), fixtureAccepted, len(objs)-fixtureAccepted, len(loaded)-len(objs))
	t.Logf("per rule: %s", strings.Join(counts, "; "))
	t.Logf("agreement: Warn %d/%d (object, rule) pairs; Deny %d/%d objects (%d denied); %s",
		warnAgree, pairs, denyAgree, len(objs), deniedN, time.Since(began).Round(time.Second))
}

// fidServerWarning is the message of one policy's warning; truncated when the
// API server shortened it (it does once a response's warnings pass 4 KiB).
type fidServerWarning struct {
	message   string
	truncated bool
}

// fidCreateNamespaces creates the namespaces the objects are placed in.
func fidCreateNamespaces(t *testing.T, ctx context.Context, cs kubernetes.Interface, names map[string]bool) {
	t.Helper()
	list := make([]string, 0, len(names))
	for n := range names {
		list = append(list, n)
	}
	errs := make([]error, len(list))
	fidParallel(len(list), fidelityWorkers, func(i int) {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: list[i]}}
		if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			errs[i] = err
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("namespace %s: %v", list[i], err)
		}
	}
}

// fidCoverage counts, per policy, the accepted objects failing and passing
// offline, and fails the test when a rule lacks either verdict: a test that
// sees only one verdict proves nothing.
func fidCoverage(t *testing.T, rules []*fidelityRule, objs []*fidelityObject) map[string][2]int {
	t.Helper()
	out := map[string][2]int{}
	for _, o := range objs {
		for _, r := range rules {
			if !r.check.AppliesTo(o.obj.GK) {
				continue
			}
			c := out[r.policy.Name]
			if o.failing[r.policy.Name] != nil {
				c[0]++
			} else {
				c[1]++
			}
			out[r.policy.Name] = c
		}
	}
	for _, r := range rules {
		if c := out[r.policy.Name]; c[0] == 0 || c[1] == 0 {
			t.Errorf("rule %s: %d failing and %d passing objects accepted by the API server: need both", r.check.ID, c[0], c[1])
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return out
}

// fidKnownBad picks, per policy, an accepted object failing it offline (the
// one failing the fewest rules), to probe when the binding is active.
func fidKnownBad(t *testing.T, rules []*fidelityRule, objs []*fidelityObject) map[string]*fidelityObject {
	t.Helper()
	out := map[string]*fidelityObject{}
	for _, r := range rules {
		for _, o := range objs {
			if o.failing[r.policy.Name] == nil {
				continue
			}
			if cur := out[r.policy.Name]; cur == nil || len(o.failing) < len(cur.failing) {
				out[r.policy.Name] = o
			}
		}
		if out[r.policy.Name] == nil {
			t.Fatalf("rule %s: no failing object to probe", r.check.ID)
		}
	}
	return out
}

// fidWaitActive polls each policy's known-bad object until active says the
// server applies the binding as expected.
func fidWaitActive(t *testing.T, ctx context.Context, dyn dynamic.Interface, mode string, bad map[string]*fidelityObject,
	active func(policy string, warns map[string]fidServerWarning, err error) bool) {
	t.Helper()
	pending := map[string]bool{}
	for p := range bad {
		pending[p] = true
	}
	deadline := time.Now().Add(fidActivationTimeout)
	for len(pending) > 0 {
		var mu sync.Mutex
		var names []string
		for p := range pending {
			names = append(names, p)
		}
		fidParallel(len(names), fidelityWorkers, func(i int) {
			warns, err := fidDryRunCreate(ctx, dyn, bad[names[i]])
			if active(names[i], warns, err) {
				mu.Lock()
				delete(pending, names[i])
				mu.Unlock()
			}
		})
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			var left []string
			for p := range pending {
				left = append(left, p)
			}
			sort.Strings(left)
			t.Fatalf("%s bindings not active after %s: %v", mode, fidActivationTimeout, left)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func fidLogRejected(t *testing.T, rejected map[string]int, example map[string]string) {
	t.Helper()
	reasons := make([]string, 0, len(rejected))
	for r := range rejected {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool { return rejected[reasons[i]] > rejected[reasons[j]] })
	for _, r := range reasons {
		t.Logf("out of scope, refused by the API server without policies: %d x %s (e.g. %s)", rejected[r], r, example[r])
	}
}

// fidMissingMessage returns an offline message the server's message lacks, or
// "" (a truncated server message is not judged).
func fidMissingMessage(vs []cel.Violation, w fidServerWarning) string {
	if w.truncated {
		return ""
	}
	for _, v := range vs {
		if !strings.Contains(w.message, v.Message) {
			return v.Message
		}
	}
	return ""
}

func fidDescribe(vs []cel.Violation) string {
	if len(vs) == 0 {
		return "none"
	}
	var parts []string
	for _, v := range vs {
		parts = append(parts, fmt.Sprintf("%s [%s] %s", v.Path, v.Container, v.Message))
	}
	return strings.Join(parts, "; ")
}

func fidDescribeWarning(w fidServerWarning, ok bool) string {
	if !ok {
		return "none"
	}
	return w.message
}

func fidIndent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// TestFidelityReportsHideValues checks that a refusal quoting a field value
// (here an env value holding a password) is reported without the value.
func TestFidelityReportsHideValues(t *testing.T) {
	const secret = "hunter2-s3cr3t"
	invalid := apierrors.NewInvalid(schema.GroupKind{Group: "apps", Kind: "Deployment"}, "web", field.ErrorList{
		field.Invalid(field.NewPath("spec", "template", "spec", "containers").Index(0).Child("env").Index(0).Child("value"), secret, "bad value "+secret),
	})
	for _, err := range []error{invalid, apierrors.NewBadRequest("cannot decode " + secret), errors.New("transport: " + secret)} {
		for _, got := range []string{fidSafeError(err), fidRejectReason(err)} {
			if strings.Contains(got, secret) {
				t.Errorf("report %q shows the value", got)
			}
		}
	}
	if got := fidSafeError(invalid); !strings.Contains(got, "spec.template.spec.containers[0].env[0].value") {
		t.Errorf("report %q does not name the field", got)
	}
	denial := apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "web",
		errors.New("ValidatingAdmissionPolicy 'kharden-x' with binding 'kharden-x' denied request: container \"a\" is bad"))
	if got := fidSafeError(denial); got != `denied by kharden-x: container "a" is bad` {
		t.Errorf("denial reported as %q", got)
	}
}
