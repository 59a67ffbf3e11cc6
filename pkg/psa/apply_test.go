package psa

import (
	"context"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	api "k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/internal/testcluster"
)

// TestApplyAllOrNothing: when the write of the second namespace fails,
// the first gets its previous labels back (an earlier value restored, an
// absent one removed), and the error says so.
func TestApplyAllOrNothing(t *testing.T) {
	c := testcluster.Start(t, testcluster.Options{})
	ctx := context.Background()
	before := map[string]map[string]string{
		"first":  {LabelPrefix + "warn": "baseline", LabelPrefix + "warn-version": "v1.30", "team": "core"},
		"second": nil,
	}
	for name, labels := range before {
		if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	fw := &testcluster.WriteFault{Path: "/namespaces/second"}
	fw.Arm(-1)
	cfg := fw.Config(c.Config)
	version, err := PinnedVersion("latest")
	if err != nil {
		t.Fatal(err)
	}
	changes := []Change{
		{Namespace: "first", Mode: ModeWarn, Level: api.LevelRestricted, Version: version},
		{Namespace: "second", Mode: ModeWarn, Level: api.LevelRestricted, Version: version},
	}
	res, err := Apply(ctx, cfg, changes, false)
	if err == nil || !strings.Contains(err.Error(), "namespace second") || !strings.Contains(err.Error(), "previous labels back") {
		t.Fatalf("apply with a failing write: %v", err)
	}
	if fw.Hits() == 0 || res == nil || res.Applied {
		t.Fatalf("the failure was not injected or the result claims success: %+v", res)
	}
	for name, want := range before {
		ns, err := c.Client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for k, v := range ns.Labels {
			if k != "kubernetes.io/metadata.name" {
				got[k] = v
			}
		}
		if len(want) == 0 {
			want = map[string]string{}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("namespace %s labels %v, want the earlier %v", name, got, want)
		}
	}
}
