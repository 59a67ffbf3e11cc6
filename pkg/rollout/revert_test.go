package rollout

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kharden/kharden/internal/testcluster"
	"github.com/kharden/kharden/pkg/finding"
)

// TestApplyUndoesAFailedWrite: the stage's last write (the state) fails
// after every binding and label was already changed; the apply puts the
// previous stage back, so the cluster is as before the apply.
func TestApplyUndoesAFailedWrite(t *testing.T) {
	c := testcluster.Start(t, testcluster.Options{})
	ctx := context.Background()
	for _, ns := range []string{nsApps, nsCanaryName} {
		if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	fw := &testcluster.WriteFault{Path: "/namespaces/" + SystemNamespace + "/configmaps/" + StateConfigMap}
	client, err := NewClient(fw.Config(c.Config))
	if err != nil {
		t.Fatal(err)
	}
	kcfg := liveConfig(t, "")
	rules := []finding.RuleID{liveTagRule, liveLimitsRule, PodSecurity}
	if _, err := client.Promote(ctx, kcfg, nil, rules, StageAudit, false, time.Now()); err != nil {
		t.Fatal(err)
	}
	before := clusterSnapshot(t, ctx, c)
	if len(before.bindings) != 2 || len(before.labels[nsApps]) == 0 {
		t.Fatalf("stage 1 not in place: %+v", before)
	}

	// The API server stays away: the error says the undo failed too and
	// what to run.
	fw.Arm(-1)
	_, err = client.Promote(ctx, kcfg, nil, rules, StageWarn, false, time.Now())
	if err == nil || !strings.Contains(err.Error(), "putting the previous stage back failed too") ||
		!strings.Contains(err.Error(), "kharden rollout apply") {
		t.Fatalf("promotion while writes keep failing: %v", err)
	}
	// Refresh once it answers: the recorded stage (audit) is put back.
	fw.Arm(0)
	if _, err := client.Refresh(ctx, kcfg, nil, false, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := clusterSnapshot(t, ctx, c); !reflect.DeepEqual(got, before) {
		t.Fatalf("after the refresh:\n%+v\nwant (stage 1):\n%+v", got, before)
	}

	// One failed write: the apply undoes what it had written itself.
	fw.ResetHits()
	fw.Arm(1)
	_, err = client.Promote(ctx, kcfg, nil, rules, StageWarn, false, time.Now())
	var we *WriteError
	if !errors.As(err, &we) || we.Done == 0 || !strings.Contains(err.Error(), "the previous stage is in place") {
		t.Fatalf("promotion with a failing state write: %v", err)
	}
	if fw.Hits() == 0 {
		t.Fatal("the failure was never injected: the test proves nothing")
	}
	after := clusterSnapshot(t, ctx, c)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("after the undo:\n%+v\nwant (stage 1):\n%+v", after, before)
	}
	st, err := ReadState(ctx, c.Client)
	if err != nil || st.StageOf(liveTagRule) != StageAudit {
		t.Errorf("recorded stage %v (%v), want audit", st.StageOf(liveTagRule), err)
	}

	// Once the API server answers again, the same promotion goes through.
	if _, err := client.Promote(ctx, kcfg, nil, rules, StageWarn, false, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := clusterSnapshot(t, ctx, c); reflect.DeepEqual(got.bindings, before.bindings) {
		t.Error("the promotion after the failure changed nothing")
	}
}

// snapshot is what a stage decides in the cluster: each binding's
// actions and each namespace's Pod Security labels.
type snapshot struct {
	bindings map[string][]string
	labels   map[string]map[string]string
}

func clusterSnapshot(t *testing.T, ctx context.Context, c *testcluster.Cluster) snapshot {
	t.Helper()
	s := snapshot{bindings: map[string][]string{}, labels: map[string]map[string]string{}}
	bs, err := c.Client.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs.Items {
		for _, a := range b.Spec.ValidationActions {
			s.bindings[b.Name] = append(s.bindings[b.Name], string(a))
		}
	}
	nss, err := c.Client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range nss.Items {
		for k, v := range ns.Labels {
			if strings.HasPrefix(k, "pod-security.kubernetes.io/") {
				if s.labels[ns.Name] == nil {
					s.labels[ns.Name] = map[string]string{}
				}
				s.labels[ns.Name][k] = v
			}
		}
	}
	return s
}
