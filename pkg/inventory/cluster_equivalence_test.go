package inventory_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/internal/testcluster"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/scan"
)

// equivalenceKinds are the kinds whose corpus files the equivalence test
// loads: workloads, RBAC, namespaces and what they reference. Files with any
// other kind are left out (custom resources need their CRDs first).
var equivalenceKinds = map[schema.GroupKind]bool{
	inventory.KindNamespace: true, inventory.KindServiceAccount: true, inventory.KindConfigMap: true,
	inventory.KindService: true, inventory.KindSecret: true, inventory.KindPod: true,
	inventory.KindDeployment: true, inventory.KindStatefulSet: true, inventory.KindDaemonSet: true,
	inventory.KindJob: true, inventory.KindCronJob: true, inventory.KindNetworkPolicy: true,
	inventory.KindRole: true, inventory.KindClusterRole: true, inventory.KindRoleBinding: true,
	inventory.KindClusterRoleBinding: true,
}

const corpusSample = 40

// TestClusterScanEquivalence: objects scanned live give the same findings
// (rule, object, message) as the same objects scanned from their files.
func TestClusterScanEquivalence(t *testing.T) {
	files := exampleFiles(t)
	files = append(files, corpusFiles(t, corpusSample)...)
	cfg, err := config.Load(filepath.Join("../../examples", config.FileName))
	if err != nil {
		t.Fatal(err)
	}

	c := testcluster.Start(t, testcluster.Options{})
	ctx := context.Background()
	a := newApplier(t, c.Config)

	// Namespaces first, then the rest; an object the server rejects, or
	// that repeats one already applied, is left out of both sides.
	var fileObjs []*inventory.Object
	applied := map[inventory.Key]bool{}
	var all []*inventory.Object
	for _, f := range files {
		inv, err := inventory.Load(ctx, inventory.LoadOptions{Paths: []string{f}, DefaultNamespace: "default"})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, inv.Objects...)
	}
	sort.SliceStable(all, func(i, j int) bool {
		return all[i].GK == inventory.KindNamespace && all[j].GK != inventory.KindNamespace
	})
	rejected := 0
	for _, o := range all {
		k := inventory.Key{GK: o.GK, Namespace: o.Ref.Namespace, Name: o.Ref.Name}
		if applied[k] || o.Ref.Name == "" {
			continue
		}
		if err := a.apply(ctx, deepCopy(o.Content)); err != nil {
			rejected++
			t.Logf("skipped %s %s/%s from %s: the server rejects it: %s", o.GK, o.Ref.Namespace, o.Ref.Name, o.Source.File, firstLine(err.Error()))
			continue
		}
		applied[k] = true
		fileObjs = append(fileObjs, o)
	}
	if len(fileObjs) < 50 {
		t.Fatalf("only %d objects loaded into the API server (%d rejected)", len(fileObjs), rejected)
	}
	t.Logf("%d files, %d objects applied, %d rejected", len(files), len(fileObjs), rejected)

	b := &inventory.Builder{}
	for _, o := range fileObjs {
		b.Add(o)
	}
	fromFiles := scanFindings(t, b.Build(), cfg, applied)

	live, err := inventory.LoadCluster(ctx, inventory.ClusterOptions{Config: c.Config})
	if err != nil {
		t.Fatal(err)
	}
	if errs := live.Errors(); len(errs) > 0 {
		t.Fatalf("live scan errors: %v", errs)
	}
	fromCluster := scanFindings(t, live, cfg, applied)

	if len(fromFiles) < 20 {
		t.Fatalf("only %d findings from the files: the test proves little", len(fromFiles))
	}
	for k := range fromFiles {
		if !fromCluster[k] {
			t.Errorf("only from files:   %s", k)
		}
	}
	for k := range fromCluster {
		if !fromFiles[k] {
			t.Errorf("only from cluster: %s", k)
		}
	}
	t.Logf("%d findings on both sides", len(fromFiles))
}

// scanFindings scans an inventory and keys its findings on the applied
// objects by rule, object and message.
func scanFindings(t *testing.T, inv *inventory.Inventory, cfg *config.Config, applied map[inventory.Key]bool) map[string]bool {
	t.Helper()
	res, err := scan.Inventory(inv, scan.Options{Config: cfg, Now: func() time.Time { return time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, f := range res.Findings {
		gk := inventory.CanonicalGroupKind(schema.GroupKind{Group: groupOf(f.Object.APIVersion), Kind: f.Object.Kind})
		if !applied[inventory.Key{GK: gk, Namespace: f.Object.Namespace, Name: f.Object.Name}] {
			continue
		}
		if strings.HasPrefix(string(f.Rule), "namespace-without-default-deny-") && f.Object.Kind != "Namespace" {
			// Files often lack the Namespace object a cluster always has:
			// the finding is then anchored on a workload of the namespace,
			// and exists on the cluster side on the Namespace (not applied
			// by the test when it pre-exists, such as default).
			continue
		}
		out[fmt.Sprintf("%s %s %s/%s: %s", f.Rule, gk, f.Object.Namespace, f.Object.Name, f.Message)] = true
	}
	return out
}

func groupOf(apiVersion string) string {
	gv, _ := schema.ParseGroupVersion(apiVersion)
	return gv.Group
}

func exampleFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir("../../examples", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) && filepath.Base(p) != config.FileName {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// corpusFiles picks up to n files of the shared corpus, round-robin over its
// repositories, whose objects are all of equivalenceKinds and which load
// without diagnostics.
func corpusFiles(t *testing.T, n int) []string {
	t.Helper()
	root := os.Getenv("KHARDEN_CORPUS")
	if root == "" {
		root = "../../../shared/corpus/real"
	}
	repos, err := os.ReadDir(root)
	if err != nil {
		t.Logf("no corpus (%v): examples only", err)
		return nil
	}
	perRepo := map[string][]string{}
	var names []string
	for _, r := range repos {
		if !r.IsDir() {
			continue
		}
		names = append(names, r.Name())
		_ = filepath.WalkDir(filepath.Join(root, r.Name()), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) && eligible(p) {
				perRepo[r.Name()] = append(perRepo[r.Name()], p)
			}
			return nil
		})
	}
	sort.Strings(names)
	var out []string
	for i := 0; len(out) < n; i++ {
		progress := false
		for _, r := range names {
			if i < len(perRepo[r]) && len(out) < n {
				out = append(out, perRepo[r][i])
				progress = true
			}
		}
		if !progress {
			break
		}
	}
	return out
}

func eligible(path string) bool {
	inv, err := inventory.Load(context.Background(), inventory.LoadOptions{Paths: []string{path}})
	if err != nil || len(inv.Diagnostics) > 0 || len(inv.Objects) == 0 || len(inv.Objects) > 30 {
		return false
	}
	for _, o := range inv.Objects {
		if !equivalenceKinds[o.GK] || o.Origin != inventory.OriginFile {
			return false
		}
	}
	return true
}

func deepCopy(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopyValue(v)
	}
	return out
}

func deepCopyValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return deepCopy(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepCopyValue(e)
		}
		return out
	}
	return v
}

func firstLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
