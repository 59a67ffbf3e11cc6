package controlplane

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kharden/kharden/internal/testcluster"
	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// TestProbeLiveCluster probes real API servers: the default one (anonymous
// authentication off except for health endpoints) gives no finding; one
// with anonymous authentication whose RBAC lets system:unauthenticated read
// discovery answers /api with 200 and is reported.
//
// Not AlwaysAllow: kube-apiserver turns anonymous authentication off when
// AlwaysAllow is the authorizer ("AnonymousAuth is not allowed with the
// AlwaysAllow authorizer"), so that cluster answers 401 everywhere and
// envtest never sees it healthy.
func TestProbeLiveCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts API servers")
	}
	// Asked only for host names; the test servers listen on 127.0.0.1.
	resolver := probeFakeResolver{addrs: []netip.Addr{netip.MustParseAddr("8.8.8.8")}}
	status := func(results []ProbeResult) map[string]int {
		m := map[string]int{}
		for _, r := range results {
			m[r.Path] = r.Status
		}
		return m
	}

	t.Run("anonymous off", func(t *testing.T) {
		c := testcluster.Start(t, testcluster.Options{})
		fs, results, err := probeLive(context.Background(), c.Config, 20*time.Second, resolver)
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 0 {
			t.Errorf("findings %+v, want none", fs)
		}
		got := status(results)
		for _, p := range []string{"/api", "/apis", "/version"} {
			if got[p] != 401 {
				t.Errorf("%s: status %d, want 401 (results %+v)", p, got[p], results)
			}
		}
		// testcluster lets anonymous requests reach the health endpoints only.
		if got["/healthz"] != 200 {
			t.Errorf("/healthz: status %d, want 200", got["/healthz"])
		}
		for _, s := range []string{c.Config.BearerToken, string(c.Config.KeyData)} {
			for _, r := range results {
				if s != "" && strings.Contains(r.Meaning, s) {
					t.Errorf("result shows a credential: %+v", r)
				}
			}
		}
	})

	t.Run("anonymous on, discovery open", func(t *testing.T) {
		c := testcluster.Start(t, testcluster.Options{AnonymousAuth: true})
		// Before the binding: anonymous on, RBAC denies.
		_, results, err := probeLive(context.Background(), c.Config, 20*time.Second, resolver)
		if err != nil {
			t.Fatal(err)
		}
		if got := status(results); got["/api"] != 403 || got["/version"] != 200 {
			t.Errorf("before the binding: %+v, want 403 on /api and 200 on /version", results)
		}
		binding := &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "anonymous-discovery"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "system:discovery"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "system:unauthenticated"}},
		}
		if _, err := c.Client.RbacV1().ClusterRoleBindings().Create(context.Background(), binding, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		// RBAC's informer sees the binding shortly after.
		var fs []finding.Finding
		deadline := time.Now().Add(20 * time.Second)
		for {
			fs, results, err = probeLive(context.Background(), c.Config, 20*time.Second, resolver)
			if err != nil || len(fs) > 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		got := status(results)
		for _, p := range probePaths {
			if got[p] != 200 {
				t.Errorf("%s: status %d, want 200 (results %+v)", p, got[p], results)
			}
		}
		if len(fs) != 1 || fs[0].Rule != checks.RuleAPIServerAnonymousAuth || !strings.Contains(fs[0].Message, "/api and /apis") {
			t.Errorf("findings %+v, want one apiserver-anonymous-auth for /api and /apis", fs)
		}
	})
}
