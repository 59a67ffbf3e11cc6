package inventory_test

import (
	"context"
	"os"
	"sort"
	"strings"
	"testing"

	authzv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/kharden/kharden/internal/testcluster"
	"github.com/kharden/kharden/pkg/inventory"
)

const scannerRBAC = "../../deploy/rbac/kharden-scanner.yaml"

// scannerUser is the ServiceAccount the shipped binding names, as the API
// server knows it: a client certificate with this name is that account for
// RBAC.
const scannerUser = "system:serviceaccount:kharden:kharden-scanner"

// TestScannerClusterRole: the shipped read-only ClusterRole is enough for a
// full scan (the only note: Secrets are not visible), grants no Secret
// access, and grants exactly get and list on what the scan lists.
func TestScannerClusterRole(t *testing.T) {
	data, err := os.ReadFile(scannerRBAC)
	if err != nil {
		t.Fatal(err)
	}
	c := testcluster.Start(t, testcluster.Options{})
	ctx := context.Background()
	a := newApplier(t, c.Config)
	a.mustApplyYAML(ctx, liveFixture)
	a.mustApplyYAML(ctx, string(data))

	cfg := c.ConfigFor(t, scannerUser, "system:serviceaccounts", "system:serviceaccounts:kharden")
	inv, err := inventory.LoadCluster(ctx, inventory.ClusterOptions{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range inv.Diagnostics {
		if d.Message != "not visible: secrets: forbidden" || !d.Warning {
			t.Errorf("diagnostic: %s (warning %v)", d.Message, d.Warning)
		}
	}
	if len(inv.Diagnostics) != 1 {
		t.Errorf("want exactly the secrets note, got %d diagnostics", len(inv.Diagnostics))
	}
	if len(inv.Get(inventory.KindDeployment, "shop", "web")) != 1 || len(inv.ByKind(inventory.KindClusterRole)) == 0 {
		t.Error("the scanner does not see workloads or RBAC")
	}

	cs := kubernetes.NewForConfigOrDie(cfg)
	if _, err := cs.CoreV1().Secrets("shop").Get(ctx, "db", metav1.GetOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("get secret: want Forbidden, got %v", err)
	}
	if _, err := cs.CoreV1().Secrets("").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("list secrets: want Forbidden, got %v", err)
	}
	for _, verb := range []string{"create", "update", "delete", "watch"} {
		if allowed(t, cs, verb, "apps", "deployments") {
			t.Errorf("the scanner may %s deployments", verb)
		}
	}

	// Exactly what the scan lists, both ways.
	lists, err := discovery.NewDiscoveryClientForConfigOrDie(c.Config).ServerPreferredResources()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, gvr := range inventory.ScannedResources(lists) {
		if gvr.GroupResource() != (schema.GroupResource{Resource: "secrets"}) {
			want[gvr.GroupResource().String()] = true
		}
	}
	got := roleResources(t, data)
	for r := range want {
		if !got[r] {
			t.Errorf("the ClusterRole does not grant %s, which the scan lists", r)
		}
	}
	for r := range got {
		if !want[r] {
			t.Errorf("the ClusterRole grants %s, which the scan does not list", r)
		}
	}
	if t.Failed() {
		var names []string
		for r := range want {
			names = append(names, r)
		}
		sort.Strings(names)
		t.Logf("resources the scan lists: %s", strings.Join(names, " "))
	}
}

// roleResources reads the resources of the kharden-scanner ClusterRole and
// checks each rule grants get and list only, on named resources.
func roleResources(t *testing.T, data []byte) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var obj struct {
			Kind     string
			Metadata struct{ Name string }
			Rules    []struct {
				APIGroups       []string `json:"apiGroups"`
				Resources       []string
				Verbs           []string
				ResourceNames   []string `json:"resourceNames"`
				NonResourceURLs []string `json:"nonResourceURLs"`
			}
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatal(err)
		}
		if obj.Kind != "ClusterRole" || obj.Metadata.Name != "kharden-scanner" {
			continue
		}
		for _, r := range obj.Rules {
			if strings.Join(r.Verbs, ",") != "get,list" || len(r.ResourceNames) > 0 || len(r.NonResourceURLs) > 0 {
				t.Errorf("rule %v: want verbs [get list] on whole resources", r)
			}
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					if g == "*" || res == "*" {
						t.Errorf("wildcard in rule %v", r)
					}
					out[schema.GroupResource{Group: g, Resource: res}.String()] = true
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no kharden-scanner ClusterRole in " + scannerRBAC)
	}
	return out
}

// allowed asks the API server whether the client's user may do verb on a
// resource (SelfSubjectAccessReview).
func allowed(t *testing.T, cs kubernetes.Interface, verb, group, resource string) bool {
	t.Helper()
	r, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(context.Background(), &authzv1.SelfSubjectAccessReview{
		Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authzv1.ResourceAttributes{Verb: verb, Group: group, Resource: resource}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return r.Status.Allowed
}
