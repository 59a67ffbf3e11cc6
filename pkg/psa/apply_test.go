package psa

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	api "k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/internal/testcluster"
)

// failSecondWrite fails the real (not dry-run) label patch of one
// namespace, as a conflict or an API server going away would, after the
// dry run of every change has passed.
type failSecondWrite struct {
	next http.RoundTripper
	ns   string
	hits atomic.Int32
}

func (f *failSecondWrite) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPatch && strings.HasSuffix(req.URL.Path, "/namespaces/"+f.ns) && req.URL.Query().Get("dryRun") == "" {
		f.hits.Add(1)
		return nil, errors.New("connection reset by the test")
	}
	return f.next.RoundTrip(req)
}

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
	fw := &failSecondWrite{ns: "second"}
	cfg := rest.CopyConfig(c.Config)
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { fw.next = rt; return fw }
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
	if fw.hits.Load() == 0 || res == nil || res.Applied {
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
