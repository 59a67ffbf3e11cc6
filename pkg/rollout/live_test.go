package rollout

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kharden/kharden/internal/testcluster"
	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
)

// liveAuditPolicy records metadata (with the admission annotations) of
// every request on pods and deployments, nothing else.
const liveAuditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
  resources:
  - group: ""
    resources: ["pods"]
  - group: apps
    resources: ["deployments"]
- level: None
`

// The rules the live test rolls out: two CEL guardrails whose violations
// are easy to build, and the Pod Security Standards.
const (
	liveTagRule    finding.RuleID = "image-latest-tag"
	liveLimitsRule finding.RuleID = "missing-resource-limits"
)

// Namespaces of the live test: a canary by label, a canary by name, and an
// ordinary one.
const (
	nsCanaryLabel = "canary-labelled"
	nsCanaryName  = "canary-named"
	nsApps        = "apps"
)

// liveConfig is the .kharden.yaml of the live test; exceptions is appended
// under `exceptions:`.
func liveConfig(t *testing.T, exceptions string) *config.Config {
	t.Helper()
	doc := "rollout:\n  canary:\n    namespaces: [" + nsCanaryName + "]\n    selector: kharden.dev/canary=true\n"
	if exceptions != "" {
		doc += "exceptions:\n" + exceptions
	}
	cfg, err := config.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, doc)
	}
	return cfg
}

// liveProbe sends objects to the API server through a client whose
// warnings it keeps, one call at a time.
type liveProbe struct {
	cs       kubernetes.Interface
	mu       sync.Mutex
	warnings []string
	n        int
}

func (p *liveProbe) HandleWarningHeader(code int, _ string, text string) {
	if code == 299 {
		p.mu.Lock()
		p.warnings = append(p.warnings, text)
		p.mu.Unlock()
	}
}

// outcome is what the API server said to one create.
type outcome struct {
	name     string
	err      error
	warnings []string
}

func (o outcome) String() string {
	s := "admitted"
	if o.err != nil {
		s = "refused: " + o.err.Error()
	}
	return fmt.Sprintf("%s %s, warnings %q", o.name, s, o.warnings)
}

// deniedBy reports whether the create was refused by the policy of rule
// (or, for PodSecurity, by Pod Security admission).
func (o outcome) deniedBy(rule finding.RuleID) bool {
	if o.err == nil {
		return false
	}
	if rule == PodSecurity {
		return apierrors.IsForbidden(o.err) && strings.Contains(o.err.Error(), "violates PodSecurity")
	}
	return strings.Contains(o.err.Error(), "'"+PolicyPrefix+string(rule)+"'")
}

// warnedBy reports whether a warning names the policy of rule (or PSA).
func (o outcome) warnedBy(rule finding.RuleID) bool {
	for _, w := range o.warnings {
		if rule == PodSecurity && strings.Contains(w, "would violate PodSecurity") ||
			rule != PodSecurity && strings.Contains(w, "'"+PolicyPrefix+string(rule)+"'") {
			return true
		}
	}
	return false
}

// pod creates pod in ns (a dry run unless real), under a fresh name unless
// keepName.
func (p *liveProbe) pod(t *testing.T, ns string, pod *corev1.Pod, keepName, real bool) outcome {
	t.Helper()
	pod = pod.DeepCopy()
	p.mu.Lock()
	p.warnings = nil
	p.n++
	if !keepName {
		pod.Name = fmt.Sprintf("%s-%d", pod.Name, p.n)
	}
	p.mu.Unlock()
	opts := metav1.CreateOptions{}
	if !real {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	_, err := p.cs.CoreV1().Pods(ns).Create(context.Background(), pod, opts)
	if err != nil && !apierrors.IsForbidden(err) && !apierrors.IsInvalid(err) {
		t.Fatalf("creating pod %s/%s: %v", ns, pod.Name, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return outcome{name: ns + "/" + pod.Name, err: err, warnings: append([]string(nil), p.warnings...)}
}

// livePod is a pod every rolled-out rule passes, restricted included.
func livePod(name string) *corev1.Pod {
	yes, no := true, false
	limits := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: &yes,
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			Containers: []corev1.Container{{
				Name: "app", Image: "registry.example/app:1.0",
				Resources: corev1.ResourceRequirements{Limits: limits},
				SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &no,
					Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
			}},
		},
	}
}

// badPod is livePod failing exactly the given rule.
func badPod(name string, rule finding.RuleID) *corev1.Pod {
	p := livePod(name)
	switch rule {
	case liveTagRule:
		p.Spec.Containers[0].Image = "registry.example/app:latest"
	case liveLimitsRule:
		p.Spec.Containers[0].Resources = corev1.ResourceRequirements{}
	case PodSecurity:
		p.Spec.Containers[0].SecurityContext = nil
	default:
		panic("badPod: " + rule)
	}
	return p
}

// worstPod fails every rolled-out rule.
func worstPod(name string) *corev1.Pod {
	p := livePod(name)
	p.Spec.Containers[0].Image = "registry.example/app"
	p.Spec.Containers[0].Resources = corev1.ResourceRequirements{}
	p.Spec.Containers[0].SecurityContext = nil
	p.Spec.SecurityContext = nil
	return p
}

// eventuallyLive polls cond for up to timeout and fails with its last
// description.
func eventuallyLive(t *testing.T, what string, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, still not %s; last: %s", timeout, what, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// liveActivation bounds the wait for the API server to load written
// policies and bindings (it watches them and compiles asynchronously).
const liveActivation = 15 * time.Second

// auditEvents reads the audit log (JSON lines).
func auditEvents(t *testing.T, path string) []auditv1.Event {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []auditv1.Event
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		var e auditv1.Event
		if len(line) > 0 && json.Unmarshal(line, &e) == nil {
			out = append(out, e)
		}
	}
	return out
}

// vapFailure is one entry of the validation_failure audit annotation.
type vapFailure struct {
	Message           string   `json:"message"`
	Policy            string   `json:"policy"`
	Binding           string   `json:"binding"`
	ValidationActions []string `json:"validationActions"`
}

const (
	annotationVAPFailure = "validation.policy.admission.k8s.io/validation_failure"
	annotationPSAAudit   = "pod-security.kubernetes.io/audit-violations"
)

// auditedFailures are the policies whose Audit action the audit log
// recorded for the named object's create, and the annotations of that event.
func auditedFailures(t *testing.T, path, resource, ns, name string) (map[string]vapFailure, map[string]string) {
	t.Helper()
	for _, e := range auditEvents(t, path) {
		if e.Verb != "create" || e.ObjectRef == nil || e.ObjectRef.Resource != resource ||
			e.ObjectRef.Namespace != ns || e.ObjectRef.Name != name || e.Stage != auditv1.StageResponseComplete {
			continue
		}
		var fs []vapFailure
		failures := map[string]vapFailure{}
		if v := e.Annotations[annotationVAPFailure]; v != "" {
			if err := json.Unmarshal([]byte(v), &fs); err != nil {
				t.Fatalf("%s of %s/%s: %v", annotationVAPFailure, ns, name, err)
			}
		}
		for _, f := range fs {
			failures[f.Policy] = f
		}
		return failures, e.Annotations
	}
	return nil, nil
}

// liveSnapshot is what kharden may have written to the cluster: policies,
// bindings, namespace labels and the state, by resource version.
func liveSnapshot(t *testing.T, cs kubernetes.Interface) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	pols, err := cs.AdmissionregistrationV1().ValidatingAdmissionPolicies().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pols.Items {
		out["policy/"+p.Name] = p.ResourceVersion
	}
	binds, err := cs.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range binds.Items {
		out["binding/"+b.Name] = b.ResourceVersion
	}
	nss, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range nss.Items {
		out["namespace/"+ns.Name] = ns.ResourceVersion + " " + fmt.Sprint(ns.Labels)
	}
	cms, err := cs.CoreV1().ConfigMaps(SystemNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, cm := range cms.Items {
		out["configmap/"+cm.Name] = cm.ResourceVersion
	}
	return out
}

func snapshotDiff(before, after map[string]string) string {
	var diff []string
	for k, v := range before {
		if after[k] != v {
			diff = append(diff, fmt.Sprintf("%s: %q -> %q", k, v, after[k]))
		}
	}
	for k, v := range after {
		if _, ok := before[k]; !ok {
			diff = append(diff, fmt.Sprintf("%s: new %q", k, v))
		}
	}
	sort.Strings(diff)
	return strings.Join(diff, "\n")
}

// TestRolloutLive proves the rollout on a real API server, through real
// clients, for two CEL guardrails and the Pod Security Standards: audit
// bindings and PSA audit labels write to the audit log, warn returns
// warnings, deny in canary namespaces confines denial to them, a skipping
// promotion is refused with nothing written, rollback restores warn, and an
// exception (in .kharden.yaml or as annotations) lets exactly its object
// through until it expires.
func TestRolloutLive(t *testing.T) {
	began := time.Now()
	c := testcluster.Start(t, testcluster.Options{AuditPolicy: []byte(liveAuditPolicy)})
	ctx := context.Background()
	for name, labels := range map[string]map[string]string{
		nsCanaryLabel: {"kharden.dev/canary": "true"}, nsCanaryName: nil, nsApps: nil,
	} {
		if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	client, err := NewClient(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	probe := &liveProbe{}
	pc := rest.CopyConfig(c.Config)
	pc.WarningHandler = probe
	probe.cs = kubernetes.NewForConfigOrDie(pc)
	rules := []finding.RuleID{liveTagRule, liveLimitsRule, PodSecurity}
	cfg := liveConfig(t, "")
	promote := func(t *testing.T, s Stage, cfg *config.Config) *Change {
		t.Helper()
		ch, err := client.Promote(ctx, cfg, nil, rules, s, false, time.Now())
		if err != nil {
			t.Fatalf("promote to %s: %v", s, err)
		}
		for _, r := range rules {
			if got := ch.After.StageOf(r); got != s {
				t.Fatalf("after promotion to %s, %s is at %s", s, r, got)
			}
		}
		return ch
	}

	t.Run("1 audit", func(t *testing.T) {
		promote(t, StageAudit, cfg)
		// Audit is invisible to the client: probe until the log shows it.
		var last outcome
		eventuallyLive(t, "audited", liveActivation, func() (bool, string) {
			last = probe.pod(t, nsApps, worstPod("audit"), false, false)
			if last.err != nil {
				t.Fatalf("audit stage refused a create: %s", last)
			}
			name := last.name[len(nsApps)+1:]
			time.Sleep(100 * time.Millisecond)
			fs, ann := auditedFailures(t, c.AuditLogPath, "pods", nsApps, name)
			ok := fs[PolicyPrefix+string(liveTagRule)].Policy != "" && fs[PolicyPrefix+string(liveLimitsRule)].Policy != ""
			return ok, fmt.Sprintf("%s; audit annotations %v", last, ann)
		})
		if last.warnedBy(liveTagRule) || last.warnedBy(liveLimitsRule) || last.warnedBy(PodSecurity) {
			t.Errorf("audit stage warned the client: %s", last)
		}
		_, ann := auditedFailures(t, c.AuditLogPath, "pods", nsApps, last.name[len(nsApps)+1:])
		for _, r := range []finding.RuleID{liveTagRule, liveLimitsRule} {
			if ann[PolicyPrefix+string(r)+"/violation"] == "" {
				t.Errorf("no %s/violation audit annotation (the policy's auditAnnotations): %v", PolicyPrefix+string(r), ann)
			}
		}
		if !strings.Contains(ann[annotationPSAAudit], "restricted") {
			t.Errorf("no PSA %s annotation: %v", annotationPSAAudit, ann)
		}
		// A real Deployment is created, and audited by both policies.
		dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "audited-deployment"},
			Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "worst"}},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "worst"}}, Spec: worstPod("x").Spec}}}
		if _, err := c.Client.AppsV1().Deployments(nsApps).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
			t.Fatalf("audit stage refused a Deployment: %v", err)
		}
		eventuallyLive(t, "the Deployment audited", 30*time.Second, func() (bool, string) {
			fs, ann := auditedFailures(t, c.AuditLogPath, "deployments", nsApps, dep.Name)
			return fs[PolicyPrefix+string(liveTagRule)].Policy != "" && fs[PolicyPrefix+string(liveLimitsRule)].Policy != "",
				fmt.Sprint(ann)
		})
		fs, _ := auditedFailures(t, c.AuditLogPath, "deployments", nsApps, dep.Name)
		if got := fs[PolicyPrefix+string(liveTagRule)].ValidationActions; !reflect.DeepEqual(got, []string{"Audit"}) {
			t.Errorf("validationActions %v, want [Audit]", got)
		}
	})

	t.Run("2 warn", func(t *testing.T) {
		promote(t, StageWarn, cfg)
		var last outcome
		eventuallyLive(t, "warned", liveActivation, func() (bool, string) {
			last = probe.pod(t, nsCanaryLabel, worstPod("warn"), false, false)
			if last.err != nil {
				t.Fatalf("warn stage refused a create: %s", last)
			}
			return last.warnedBy(liveTagRule) && last.warnedBy(liveLimitsRule) && last.warnedBy(PodSecurity), last.String()
		})
		if ok := probe.pod(t, nsApps, livePod("clean"), false, false); ok.err != nil || len(ok.warnings) > 0 {
			t.Errorf("a clean pod: %s", ok)
		}
	})

	t.Run("3 deny in canaries", func(t *testing.T) {
		promote(t, StageCanary, cfg)
		for _, ns := range []string{nsCanaryLabel, nsCanaryName} {
			for _, r := range rules {
				eventuallyLive(t, fmt.Sprintf("denied by %s in %s", r, ns), liveActivation, func() (bool, string) {
					o := probe.pod(t, ns, badPod("deny", r), false, false)
					return o.deniedBy(r), o.String()
				})
			}
		}
		for _, r := range rules {
			o := probe.pod(t, nsApps, badPod("elsewhere", r), false, false)
			if o.err != nil || !o.warnedBy(r) {
				t.Errorf("outside the canaries, %s should warn and admit: %s", r, o)
			}
		}
		if o := probe.pod(t, nsCanaryLabel, livePod("clean"), false, false); o.err != nil {
			t.Errorf("a clean pod in a canary: %s", o)
		}
		for _, ns := range []string{nsCanaryLabel, nsCanaryName, nsApps} {
			n, err := c.Client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			enforce, want := n.Labels["pod-security.kubernetes.io/enforce"], ""
			if ns != nsApps {
				want = "restricted"
			}
			if enforce != want || n.Labels["pod-security.kubernetes.io/warn"] != "restricted" {
				t.Errorf("namespace %s labels %v: want enforce %q and warn restricted", ns, n.Labels, want)
			}
		}
		// What `rollout plan --audit-log` reads from the same log: the
		// violations stage 1 audited, the requests stage 3 denied.
		// The log backend writes an event as its request completes: read
		// until the last denials are in.
		var sum *AuditSummary
		eventuallyLive(t, "denials in the audit log", 30*time.Second, func() (bool, string) {
			var err error
			if sum, err = ReadAudit([]string{c.AuditLogPath}, nil, time.Time{}); err != nil {
				t.Fatal(err)
			}
			for _, r := range rules {
				if sum.Denied[r][nsCanaryLabel] == 0 || sum.Denied[r][nsCanaryName] == 0 {
					return false, fmt.Sprint(sum.Denied)
				}
			}
			return true, ""
		})
		for _, r := range rules {
			if sum.Audited[r][nsApps] == 0 {
				t.Errorf("%s: no audited violation read in %s: %v", r, nsApps, sum.Audited)
			}
			if sum.Denied[r][nsCanaryLabel] == 0 || sum.Denied[r][nsCanaryName] == 0 {
				t.Errorf("%s: no denial read in the canaries: %v", r, sum.Denied)
			}
			if sum.Denied[r][nsApps] != 0 {
				t.Errorf("%s: denials read outside the canaries: %v", r, sum.Denied)
			}
		}
	})

	t.Run("4 a skip is refused, nothing written", func(t *testing.T) {
		before := liveSnapshot(t, c.Client)
		_, err := client.Promote(ctx, cfg, nil, rules, StageEverywhere, false, time.Now())
		if err == nil || !strings.Contains(err.Error(), "skips") || !strings.Contains(err.Error(), "nothing written") {
			t.Fatalf("promotion from 3 to 5: %v", err)
		}
		// An exception the API server cannot honour is refused before any write too.
		bad := liveConfig(t, "- {rules: ["+string(liveTagRule)+"], owner: a, reason: b, expires: '2999-01-01', scope: {names: ['a/b']}}\n")
		if _, err := client.Promote(ctx, bad, nil, rules, StageProduction, false, time.Now()); err == nil || !strings.Contains(err.Error(), "a/b") {
			t.Fatalf("an unexportable scope: %v", err)
		}
		if diff := snapshotDiff(before, liveSnapshot(t, c.Client)); diff != "" {
			t.Fatalf("a refused promotion wrote:\n%s", diff)
		}
		st, err := ReadState(ctx, c.Client)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.StageOf(liveTagRule); got != StageCanary {
			t.Fatalf("stage %s after refused promotions", got)
		}
	})

	t.Run("5 rollback", func(t *testing.T) {
		ch, err := client.Rollback(ctx, cfg, nil, rules, false, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rules {
			if got := ch.After.StageOf(r); got != StageWarn {
				t.Fatalf("rollback from 3: %s at %s", r, got)
			}
		}
		for _, ns := range []string{nsCanaryLabel, nsCanaryName} {
			eventuallyLive(t, "admitted again in "+ns, liveActivation, func() (bool, string) {
				o := probe.pod(t, ns, worstPod("rolled-back"), false, false)
				return o.err == nil && o.warnedBy(liveTagRule) && o.warnedBy(liveLimitsRule) && o.warnedBy(PodSecurity), o.String()
			})
		}
		bs, err := c.Client.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bs.Items {
			if strings.Contains(b.Name, "-deny-") {
				t.Errorf("binding %s left after rollback", b.Name)
			}
		}
	})

	t.Run("6 exceptions", func(t *testing.T) {
		today := time.Now().UTC()
		tomorrow, yesterday := today.AddDate(0, 0, 1).Format("2006-01-02"), today.AddDate(0, 0, -1).Format("2006-01-02")
		exception := func(expires string) *config.Config {
			return liveConfig(t, "- rules: ["+string(liveTagRule)+"]\n  owner: team-a\n  reason: image pinned by digest at deploy time\n"+
				"  expires: '"+expires+"'\n  scope: {namespaces: ["+nsCanaryLabel+"], names: [excepted]}\n")
		}
		annotated := func(name, until string) *corev1.Pod {
			p := badPod(name, liveTagRule)
			p.Annotations = map[string]string{checks.AnnotationIgnore: string(liveTagRule),
				checks.AnnotationIgnoreReason: "vendor image", checks.AnnotationIgnoreUntil: until}
			return p
		}
		promote(t, StageCanary, exception(tomorrow))
		eventuallyLive(t, "the exception honoured", liveActivation, func() (bool, string) {
			other := probe.pod(t, nsCanaryLabel, badPod("other", liveTagRule), true, false)
			excepted := probe.pod(t, nsCanaryLabel, badPod("excepted", liveTagRule), true, false)
			return other.deniedBy(liveTagRule) && excepted.err == nil, other.String() + "; " + excepted.String()
		})
		// Exactly its object: the exception covers one rule, one name, one namespace.
		for _, o := range []outcome{
			probe.pod(t, nsCanaryName, badPod("excepted", liveTagRule), true, false),
			probe.pod(t, nsCanaryLabel, badPod("excepted", liveLimitsRule), true, false),
		} {
			if o.err == nil {
				t.Errorf("the exception reached beyond its scope: %s", o)
			}
		}
		if o := probe.pod(t, nsCanaryLabel, annotated("annotated-future", tomorrow), true, false); o.err != nil {
			t.Errorf("an annotation exception in force: %s", o)
		}
		if o := probe.pod(t, nsCanaryLabel, annotated("annotated-past", yesterday), true, false); !o.deniedBy(liveTagRule) {
			t.Errorf("an expired annotation exception: %s", o)
		}

		// Expired in .kharden.yaml: a refresh makes the policy apply again.
		ch, err := client.Refresh(ctx, exception(yesterday), nil, false, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if got := ch.After.StageOf(liveTagRule); got != StageCanary {
			t.Fatalf("refresh moved the stage to %s", got)
		}
		eventuallyLive(t, "the expired exception ignored", liveActivation, func() (bool, string) {
			o := probe.pod(t, nsCanaryLabel, badPod("excepted", liveTagRule), true, false)
			return o.deniedBy(liveTagRule), o.String()
		})
		if o := probe.pod(t, nsCanaryLabel, annotated("annotated-future", tomorrow), true, false); o.err != nil {
			t.Errorf("an annotation exception in force after refresh: %s", o)
		}
		// Two days on, the annotation's ignore-until has passed too.
		if _, err := client.Refresh(ctx, exception(yesterday), nil, false, time.Now().AddDate(0, 0, 2)); err != nil {
			t.Fatal(err)
		}
		eventuallyLive(t, "the expired annotation ignored", liveActivation, func() (bool, string) {
			o := probe.pod(t, nsCanaryLabel, annotated("annotated-future", tomorrow), true, false)
			return o.deniedBy(liveTagRule), o.String()
		})
	})

	t.Run("7 bad input", func(t *testing.T) {
		if _, err := SelectRules([]string{string(liveTagRule), "no-such-rule"}); err == nil || !strings.Contains(err.Error(), "no-such-rule") {
			t.Errorf("unknown rule: %v", err)
		}
		for doc, want := range map[string]string{
			"rollout: {canary: {selector: 'tier in (a'}}":                                 "rollout.canary.selector",
			"exceptions: [{rules: [image-latest-tag], reason: r, expires: '2999-01-01'}]": "owner",
			"exceptions: [{rules: [image-latest-tag], owner: o, reason: r}]":              "expires",
		} {
			if _, err := config.Parse([]byte(doc)); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("config %s: error %v, want one naming %s", doc, err, want)
			}
		}
	})

	t.Run("server without VAP v1", func(t *testing.T) {
		old := testcluster.Start(t, testcluster.Options{DisableAdmissionPlugins: []string{"ValidatingAdmissionPolicy"}, Flags: map[string][]string{
			"runtime-config": {"admissionregistration.k8s.io/v1/validatingadmissionpolicies=false,admissionregistration.k8s.io/v1/validatingadmissionpolicybindings=false"}}})
		oc, err := NewClient(old.Config)
		if err != nil {
			t.Fatal(err)
		}
		before := liveSnapshotCore(t, old.Client)
		_, err = oc.Promote(ctx, cfg, nil, rules, StageAudit, false, time.Now())
		if err == nil || !strings.Contains(err.Error(), "ValidatingAdmissionPolicy") || !strings.Contains(err.Error(), "nothing was written") {
			t.Fatalf("promote on a server without VAP v1: %v", err)
		}
		if diff := snapshotDiff(before, liveSnapshotCore(t, old.Client)); diff != "" {
			t.Fatalf("wrote:\n%s", diff)
		}
	})
	t.Logf("took %s", time.Since(began).Round(time.Second))
}

// liveSnapshotCore is liveSnapshot without the admission policy APIs.
func liveSnapshotCore(t *testing.T, cs kubernetes.Interface) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	nss, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range nss.Items {
		out["namespace/"+ns.Name] = ns.ResourceVersion + " " + fmt.Sprint(ns.Labels)
	}
	cms, err := cs.CoreV1().ConfigMaps("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, cm := range cms.Items {
		out["configmap/"+cm.Namespace+"/"+cm.Name] = cm.ResourceVersion
	}
	return out
}
