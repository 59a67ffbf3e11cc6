package rbac_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"sort"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kharden/kharden/internal/testcluster"
)

var updateBootstrap = flag.Bool("update-bootstrap", false, "rewrite bootstrap/roles.json from a real API server")

const bootstrapFile = "bootstrap/roles.json"

// TestBootstrapRolesUpToDate lists the default Roles and ClusterRoles of a
// real kube-apiserver and compares them with the embedded copy (rewrite it
// with -update-bootstrap after a Kubernetes upgrade).
func TestBootstrapRolesUpToDate(t *testing.T) {
	c := testcluster.Start(t, testcluster.Options{})
	ctx := context.Background()
	sel := metav1.ListOptions{LabelSelector: "kubernetes.io/bootstrapping=rbac-defaults"}
	crs, err := c.Client.RbacV1().ClusterRoles().List(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := c.Client.RbacV1().Roles("").List(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	var objs []map[string]any
	add := func(kind string, meta metav1.ObjectMeta, rules []rbacv1.PolicyRule, agg *rbacv1.AggregationRule) {
		m := map[string]any{"name": meta.Name}
		if meta.Namespace != "" {
			m["namespace"] = meta.Namespace
		}
		if len(meta.Labels) > 0 {
			m["labels"] = meta.Labels
		}
		o := map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": m}
		if len(rules) > 0 {
			r, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&rbacv1.ClusterRole{Rules: rules})
			if err != nil {
				t.Fatal(err)
			}
			o["rules"] = r["rules"]
		}
		if agg != nil {
			a, err := runtime.DefaultUnstructuredConverter.ToUnstructured(agg)
			if err != nil {
				t.Fatal(err)
			}
			o["aggregationRule"] = a
		}
		objs = append(objs, o)
	}
	for _, r := range crs.Items {
		add("ClusterRole", r.ObjectMeta, r.Rules, r.AggregationRule)
	}
	for _, r := range rs.Items {
		add("Role", r.ObjectMeta, r.Rules, nil)
	}
	sort.Slice(objs, func(i, j int) bool { return bootstrapKey(objs[i]) < bootstrapKey(objs[j]) })
	var b bytes.Buffer
	b.WriteString("[\n")
	for i, o := range objs {
		line, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		if i < len(objs)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]\n")
	if *updateBootstrap {
		if err := os.WriteFile(bootstrapFile, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(bootstrapFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, b.Bytes()) {
		t.Errorf("%s differs from the API server's default roles (go test ./pkg/analysis/rbac -run TestBootstrapRolesUpToDate -update-bootstrap)", bootstrapFile)
	}
	if len(objs) < 50 {
		t.Errorf("only %d default roles listed", len(objs))
	}
}

func bootstrapKey(o map[string]any) string {
	m := o["metadata"].(map[string]any)
	ns, _ := m["namespace"].(string)
	return o["kind"].(string) + "/" + ns + "/" + m["name"].(string)
}
