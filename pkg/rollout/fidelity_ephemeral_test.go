package rollout

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kharden/kharden/internal/testcluster"
	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// TestVAPEphemeralContainersFidelity: `kubectl debug` adds ephemeral
// containers to a running pod through the pods/ephemeralcontainers
// subresource, which the exported policies of container rules match. For
// each ephemeral container below, added to a real pod with dryRun=All and
// every such policy bound in Warn, the policies the API server warns about
// are exactly the rules the scan engine fails on the resulting pod.
func TestVAPEphemeralContainersFidelity(t *testing.T) {
	all := fidExportedRules(t)
	var rules []*fidelityRule
	for _, r := range all {
		if fidMatchesEphemeral(r.policy) {
			rules = append(rules, r)
		}
	}
	if len(rules) < 3 {
		t.Fatalf("%d exported policies match pods/ephemeralcontainers: the test would prove little", len(rules))
	}
	cfg := fidConfig(t, all)
	params := checks.Params(cfg)
	allowed := cfg.AllowedRegistries[0]
	pinned := allowed + "/tools/debug@sha256:" + strings.Repeat("ab", 32)

	cluster := testcluster.Start(t, testcluster.Options{})
	ctx := context.Background()
	rc := rest.CopyConfig(cluster.Config)
	rc.WarningHandler = nil
	rc.WarningHandlerWithContext = fidContextWarnings{}
	cs := kubernetes.NewForConfigOrDie(rc)
	const ns = "debugging"
	fidCreateNamespaces(t, ctx, cs, map[string]bool{ns: true, cel.DefaultParamsRef.Namespace: true})
	base := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: ns, Labels: map[string]string{"app": "app", "team": "core"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: allowed + "/app@sha256:" + strings.Repeat("cd", 32),
			SecurityContext: &corev1.SecurityContext{ReadOnlyRootFilesystem: fidBool(true)}}}},
	}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, base, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cm := cel.ParamsConfigMap(cel.DefaultParamsRef, cel.ParamsStringData(cfg.AllowedRegistries, cfg.OwnerKeys, cfg.DataClassificationKey))
	if _, err := cs.CoreV1().ConfigMaps(cm.Namespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if _, err := cs.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, r.policy, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		b := cel.ValidatingAdmissionPolicyBinding(r.policy, cel.DefaultParamsRef, admissionregistrationv1.Warn)
		if _, err := cs.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(ctx, b, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	ro := &corev1.SecurityContext{ReadOnlyRootFilesystem: fidBool(true)}
	variants := []corev1.EphemeralContainerCommon{
		{Name: "latest", Image: "busybox:latest"},
		{Name: "untagged", Image: "busybox", SecurityContext: ro},
		{Name: "tagged", Image: allowed + "/tools/debug:1.2", SecurityContext: ro},
		{Name: "clean", Image: pinned, SecurityContext: ro},
		{Name: "writable", Image: pinned},
		{Name: "writable-explicit", Image: pinned, SecurityContext: &corev1.SecurityContext{ReadOnlyRootFilesystem: fidBool(false)}},
		{Name: "elsewhere", Image: "quay.io/other/debug@sha256:" + strings.Repeat("ef", 32), SecurityContext: ro},
		{Name: "secret-env", Image: pinned, SecurityContext: ro, Env: []corev1.EnvVar{{Name: "DB_PASSWORD",
			ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "password"}}}}},
		{Name: "literal-env", Image: pinned, SecurityContext: ro, Env: []corev1.EnvVar{{Name: "API_TOKEN", Value: "not-a-real-token-value"}}},
		{Name: "plain-env", Image: pinned, SecurityContext: ro, Env: []corev1.EnvVar{{Name: "LOG_LEVEL", Value: "debug"}}},
	}
	type verdict struct{ offline, server []string }
	judge := func(v corev1.EphemeralContainerCommon) (verdict, error) {
		pod, err := cs.CoreV1().Pods(ns).Get(ctx, base.Name, metav1.GetOptions{})
		if err != nil {
			return verdict{}, err
		}
		pod.Spec.EphemeralContainers = append(pod.Spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: v, TargetContainerName: "app"})
		col := &fidWarningCollector{}
		_, err = cs.CoreV1().Pods(ns).UpdateEphemeralContainers(context.WithValue(ctx, fidWarningsKey{}, col), pod.Name, pod,
			metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil {
			return verdict{}, err
		}
		var out verdict
		for p := range col.policyWarnings() {
			out.server = append(out.server, p)
		}
		sort.Strings(out.server)
		out.offline, err = fidOfflineFailures(rules, pod, params)
		return out, err
	}

	// Active once the worst variant gets a warning from every policy the
	// offline evaluation fails it on.
	deadline := time.Now().Add(fidActivationTimeout)
	for {
		v, err := judge(variants[0])
		if err == nil && len(v.offline) > 0 && slices.Equal(v.offline, v.server) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Warn bindings not active after %s: %+v %v", fidActivationTimeout, v, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	failing, passing := map[string]int{}, map[string]int{}
	for _, v := range variants {
		got, err := judge(v)
		if err != nil {
			t.Errorf("ephemeral container %s: %v", v.Name, err)
			continue
		}
		if !slices.Equal(got.offline, got.server) {
			t.Errorf("ephemeral container %s (image %s): offline fails %v, the API server warns %v", v.Name, v.Image, got.offline, got.server)
		}
		for _, r := range rules {
			if slices.Contains(got.offline, r.policy.Name) {
				failing[r.policy.Name]++
			} else {
				passing[r.policy.Name]++
			}
		}
	}
	// Coverage: each policy both failed and passed by some container.
	for _, r := range rules {
		if failing[r.policy.Name] == 0 || passing[r.policy.Name] == 0 {
			t.Errorf("%s: failed by %d, passed by %d ephemeral containers: add variants", r.policy.Name, failing[r.policy.Name], passing[r.policy.Name])
		}
	}
	t.Logf("%d policies matching pods/ephemeralcontainers, %d ephemeral containers: offline and API server verdicts equal", len(rules), len(variants))
}

// fidMatchesEphemeral reports whether a policy matches the
// pods/ephemeralcontainers subresource.
func fidMatchesEphemeral(p *admissionregistrationv1.ValidatingAdmissionPolicy) bool {
	if p.Spec.MatchConstraints == nil {
		return false
	}
	for _, r := range p.Spec.MatchConstraints.ResourceRules {
		if slices.Contains(r.Resources, "pods/ephemeralcontainers") {
			return true
		}
	}
	return false
}

// fidOfflineFailures is the scan engine's verdict on a pod: the policy
// names of the rules it fails, sorted.
func fidOfflineFailures(rules []*fidelityRule, pod *corev1.Pod, params map[string]any) ([]string, error) {
	pod = pod.DeepCopy()
	pod.APIVersion, pod.Kind = "v1", "Pod"
	pod.ManagedFields = nil
	b, err := json.Marshal(pod)
	if err != nil {
		return nil, err
	}
	var content map[string]any
	if err := json.Unmarshal(b, &content); err != nil {
		return nil, err
	}
	obj, err := inventory.NewObject(content, inventory.OriginCluster, finding.Source{})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rules {
		vs, err := r.prg.Evaluate(cel.NewInput(obj, params))
		if err != nil {
			return nil, err
		}
		if len(vs) > 0 {
			out = append(out, r.policy.Name)
		}
	}
	sort.Strings(out)
	return out, nil
}

func fidBool(b bool) *bool { return &b }
