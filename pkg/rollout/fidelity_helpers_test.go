package rollout

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// fidelityRule is one CEL rule of the catalogue with its exported policy and
// its offline program.
type fidelityRule struct {
	check  *checks.Check
	policy *admissionregistrationv1.ValidatingAdmissionPolicy
	prg    *cel.Program
}

// fidelityObject is one object as sent to the API server; obj is the same
// content as the scan engine sees it, so both verdicts judge one object.
type fidelityObject struct {
	origin  string // file (and line) the object was read from
	fixture bool   // from a rule fixture, not the corpus
	obj     *inventory.Object
	gvr     schema.GroupVersionResource
	// failing maps a policy name to the offline violations of its rule;
	// rules that pass are absent. evalErr records offline errors.
	failing map[string][]cel.Violation
	evalErr map[string]error
}

func (o *fidelityObject) String() string {
	r := o.obj.Ref
	id := r.Kind + " " + r.Name
	if r.Namespace != "" {
		id = r.Kind + " " + r.Namespace + "/" + r.Name
	}
	return o.origin + " (" + id + ")"
}

// failingPolicies lists the policy names that fail offline, sorted.
func (o *fidelityObject) failingPolicies() []string {
	out := make([]string, 0, len(o.failing))
	for p := range o.failing {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// fidExportedRules exports every CEL rule of the catalogue as `kharden
// policy export` does (ExportPolicies: the guardrail's expression, the
// audit annotation, the exception matchConditions), every rule turned on.
func fidExportedRules(t *testing.T) []*fidelityRule {
	t.Helper()
	cfg := config.Default()
	cfg.Rules = map[finding.RuleID]config.RuleConfig{}
	on := true
	var ids []finding.RuleID
	for _, c := range checks.CELRules() {
		cfg.Rules[c.ID] = config.RuleConfig{Enabled: &on}
		ids = append(ids, c.ID)
	}
	pols, err := ExportPolicies(ids, cfg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var out []*fidelityRule
	for _, p := range pols {
		prg, err := cel.Compile(p.Check.Guardrail)
		if err != nil {
			t.Fatalf("%s: %v", p.Rule, err)
		}
		out = append(out, &fidelityRule{check: p.Check, policy: p.Policy, prg: prg})
	}
	if len(out) == 0 || len(out) != len(ids) {
		t.Fatalf("%d of %d CEL rules exported", len(out), len(ids))
	}
	return out
}

func fidWorkloadKinds() []schema.GroupKind {
	ks := inventory.WorkloadKinds()
	sort.Slice(ks, func(i, j int) bool {
		if ks[i].Group != ks[j].Group {
			return ks[i].Group < ks[j].Group
		}
		return ks[i].Kind < ks[j].Kind
	})
	return ks
}

// fidFixtureRoot holds the scan engine's rule fixtures.
const fidFixtureRoot = "../checks/testdata"

// fidConfig merges the fixtures' configurations: the union of their
// registry allowlists on top of the defaults (owner keys, data
// classification key), so that param-reading rules see real values.
func fidConfig(t *testing.T, rules []*fidelityRule) *config.Config {
	t.Helper()
	cfg := config.Default()
	seen := map[string]bool{}
	for _, r := range rules {
		p := filepath.Join(fidFixtureRoot, string(r.check.ID), "kharden.yaml")
		if _, err := os.Stat(p); err != nil {
			continue
		}
		c, err := config.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, reg := range c.AllowedRegistries {
			if !seen[reg] {
				seen[reg] = true
				cfg.AllowedRegistries = append(cfg.AllowedRegistries, reg)
			}
		}
	}
	if len(cfg.AllowedRegistries) == 0 || len(cfg.OwnerKeys) == 0 {
		t.Fatal("fidelity params need a registry allowlist and owner keys")
	}
	return cfg
}

// fidFixtureFiles lists every pass/fail fixture of the rules.
func fidFixtureFiles(t *testing.T, rules []*fidelityRule) []string {
	t.Helper()
	var out []string
	for _, r := range rules {
		for _, kind := range []string{"pass", "fail"} {
			files, err := filepath.Glob(filepath.Join(fidFixtureRoot, string(r.check.ID), kind, "*.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if len(files) == 0 {
				t.Errorf("rule %s has no %s fixture", r.check.ID, kind)
			}
			out = append(out, files...)
		}
	}
	return out
}

// fidCorpusDir finds ../shared/corpus/real (or $KHARDEN_CORPUS/real): a
// failure in CI when missing, a skip elsewhere.
func fidCorpusDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("KHARDEN_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	dir = filepath.Join(dir, "real")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("corpus not found at %s (set KHARDEN_CORPUS)", dir)
		}
		t.Skipf("corpus not found at %s (set KHARDEN_CORPUS)", dir)
	}
	return dir
}

// fidLoadObjects reads the paths with the scan engine's loader and keeps the
// objects of kinds some rule applies to. Unreadable documents are skipped.
func fidLoadObjects(t *testing.T, rules []*fidelityRule, paths ...string) []*inventory.Object {
	t.Helper()
	inv, err := inventory.Load(context.Background(), inventory.LoadOptions{Paths: paths})
	if err != nil {
		t.Fatal(err)
	}
	var out []*inventory.Object
	for _, o := range inv.Objects {
		for _, r := range rules {
			if r.check.AppliesTo(o.GK) {
				out = append(out, o)
				break
			}
		}
	}
	return out
}

// fidBuiltinNamespaces lists the namespaces every cluster has; a Namespace object of that name
// is renamed so that its dry-run create is not refused as existing.
var fidBuiltinNamespaces = map[string]bool{"default": true, "kube-system": true, "kube-public": true, "kube-node-lease": true}

// fidNSPrefix marks the namespaces the test creates to hold namespaced objects.
const fidNSPrefix = "fid-"

var fidNotLabel = regexp.MustCompile(`[^a-z0-9-]+`)

// fidPlaceNamespace maps an object's namespace to the one the test creates.
func fidPlaceNamespace(ns string) string {
	if ns == "" {
		ns = "default"
	}
	ns = strings.Trim(fidNotLabel.ReplaceAllString(strings.ToLower(ns), "-"), "-")
	if ns == "" {
		ns = "x"
	}
	ns = fidNSPrefix + ns
	if len(ns) > 63 {
		ns = strings.TrimRight(ns[:63], "-")
	}
	return ns
}

// fidPrepare turns a loaded object into what the test sends: server-owned
// fields dropped, a name when there is none, a namespace the test creates
// (namespaced kinds) or none (cluster-scoped). The offline verdict is taken
// on this same content. It returns an error when the server does not serve
// the object's apiVersion/kind.
func fidPrepare(mapper meta.RESTMapper, o *inventory.Object, i int, nsNames map[string]bool) (*fidelityObject, error) {
	content := runtime.DeepCopyJSON(o.Content)
	gv, err := schema.ParseGroupVersion(o.Ref.APIVersion)
	if err != nil {
		return nil, err
	}
	m, err := mapper.RESTMapping(schema.GroupKind{Group: gv.Group, Kind: o.Ref.Kind}, gv.Version)
	if err != nil {
		return nil, fmt.Errorf("not served: %s %s", o.Ref.APIVersion, o.Ref.Kind)
	}
	delete(content, "status")
	md, _ := content["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
		content["metadata"] = md
	}
	for _, f := range []string{"resourceVersion", "uid", "creationTimestamp", "selfLink", "managedFields", "generation", "deletionTimestamp", "deletionGracePeriodSeconds"} {
		delete(md, f)
	}
	if name, _ := md["name"].(string); name == "" {
		if gen, _ := md["generateName"].(string); gen == "" {
			md["name"] = fmt.Sprintf("fid-obj-%d", i)
		}
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ns, _ := md["namespace"].(string)
		ns = fidPlaceNamespace(ns)
		md["namespace"] = ns
		nsNames[ns] = true
	} else {
		delete(md, "namespace")
		if o.GK == inventory.KindNamespace {
			if name, _ := md["name"].(string); fidBuiltinNamespaces[name] || strings.HasPrefix(name, fidNSPrefix) || name == cel.DefaultParamsRef.Namespace {
				md["name"] = fmt.Sprintf("fid-renamed-%d", i)
			}
		}
	}
	sent, err := inventory.NewObject(content, o.Origin, o.Source)
	if err != nil {
		return nil, err
	}
	origin := o.Source.File
	if o.Source.Line > 0 {
		origin = fmt.Sprintf("%s:%d", o.Source.File, o.Source.Line)
	}
	return &fidelityObject{origin: origin, obj: sent, gvr: m.Resource}, nil
}

// evaluateOffline records the scan engine's verdict of every rule that
// applies to the object, with the given params.
func (o *fidelityObject) evaluateOffline(rules []*fidelityRule, params map[string]any) {
	o.failing = map[string][]cel.Violation{}
	o.evalErr = map[string]error{}
	for _, r := range rules {
		if !r.check.AppliesTo(o.obj.GK) {
			continue
		}
		vs, err := r.prg.Evaluate(cel.NewInput(o.obj, params))
		if err != nil {
			o.evalErr[r.policy.Name] = err
			continue
		}
		if len(vs) > 0 {
			o.failing[r.policy.Name] = vs
		}
	}
}

// fidDryRunCreate sends the object with dryRun=All and returns the VAP
// warnings of the response.
func fidDryRunCreate(ctx context.Context, dyn dynamic.Interface, o *fidelityObject) (map[string]fidServerWarning, error) {
	col := &fidWarningCollector{}
	ctx = context.WithValue(ctx, fidWarningsKey{}, col)
	u := &unstructured.Unstructured{Object: runtime.DeepCopyJSON(o.obj.Content)}
	_, err := dyn.Resource(o.gvr).Namespace(o.obj.Ref.Namespace).Create(ctx, u, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	return col.policyWarnings(), err
}

// fidWarningsKey carries a request's fidWarningCollector in its context.
type fidWarningsKey struct{}

// fidWarningCollector gathers the warnings of one request.
type fidWarningCollector struct {
	mu    sync.Mutex
	texts []string
}

// fidContextWarnings hands each warning to the collector of its request.
type fidContextWarnings struct{}

func (fidContextWarnings) HandleWarningHeaderWithContext(ctx context.Context, _ int, _ string, text string) {
	if c, ok := ctx.Value(fidWarningsKey{}).(*fidWarningCollector); ok {
		c.mu.Lock()
		c.texts = append(c.texts, text)
		c.mu.Unlock()
	}
}

// fidVAPWarning is the API server's warning for a failed validation of a Warn
// binding (k8s.io/apiserver .../policy/validating/dispatcher.go).
var fidVAPWarning = regexp.MustCompile(`^Validation failed for ValidatingAdmissionPolicy '([^']+)' with binding '[^']+': (?s)(.*)$`)

// fidVAPDenial is the API server's denial message of a Deny binding.
var fidVAPDenial = regexp.MustCompile(`ValidatingAdmissionPolicy '([^']+)' with binding '[^']+' denied request: (?s)(.*)$`)

// policyWarnings maps policy names to their warning messages; other
// warnings (deprecations) are left out.
func (c *fidWarningCollector) policyWarnings() map[string]fidServerWarning {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]fidServerWarning{}
	for _, t := range c.texts {
		if m := fidVAPWarning.FindStringSubmatch(t); m != nil {
			out[m[1]] = fidServerWarning{message: m[2], truncated: utf8.RuneCountInString(t) == fidWarningTruncatedRunes}
		}
	}
	return out
}

// fidWarningTruncatedRunes is the length the API server cuts warnings to once
// a response's warnings pass 4 KiB (k8s.io/apiserver endpoints/filters).
const fidWarningTruncatedRunes = 256

// fidDeniedBy returns the policy named by a VAP denial and its message.
func fidDeniedBy(err error) (policy, message string, ok bool) {
	if err == nil {
		return "", "", false
	}
	m := fidVAPDenial.FindStringSubmatch(err.Error())
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// fidParallel runs f(0..n-1) on a bounded pool of workers.
func fidParallel(n, workers int, f func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// fidRejectReason summarises why the API server refused an object: the status
// reason and the first cause's field and type, never the server's message,
// which may quote field values (an env value can be a password).
func fidRejectReason(err error) string {
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		st := se.Status()
		reason := string(st.Reason)
		if st.Details != nil && len(st.Details.Causes) > 0 {
			reason += ": " + st.Details.Causes[0].Field + " " + string(st.Details.Causes[0].Type)
		}
		return reason
	}
	if strings.HasPrefix(err.Error(), "not served: ") {
		return err.Error()
	}
	return fmt.Sprintf("%T", err)
}

// fidSafeError describes a refusal for a report: a policy's denial (its
// message is the guardrail's messageExpression, which names fields, not
// values) or fidRejectReason.
func fidSafeError(err error) string {
	if err == nil {
		return "accepted"
	}
	if policy, msg, ok := fidDeniedBy(err); ok {
		return "denied by " + policy + ": " + msg
	}
	return "refused: " + fidRejectReason(err)
}

// fidExpressionOf is the rule's expression for disagreement reports.
func fidExpressionOf(r *fidelityRule) string {
	var b strings.Builder
	for _, v := range r.policy.Spec.Validations {
		b.WriteString(v.Expression)
	}
	return b.String()
}
