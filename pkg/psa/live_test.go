package psa

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/internal/testcluster"
	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/inventory"
)

// corpusWorkloadTarget is how many workload objects of the real-world corpus
// the fidelity test loads (besides every PSS fixture).
const corpusWorkloadTarget = 300

// resources names the API resource of each workload kind.
var resources = map[schema.GroupKind]string{
	inventory.KindPod: "pods", inventory.KindPodTemplate: "podtemplates",
	inventory.KindReplicationController: "replicationcontrollers", inventory.KindDeployment: "deployments",
	inventory.KindStatefulSet: "statefulsets", inventory.KindDaemonSet: "daemonsets",
	inventory.KindReplicaSet: "replicasets", inventory.KindJob: "jobs", inventory.KindCronJob: "cronjobs",
}

// liveSource is one input file loaded into its own namespace.
type liveSource struct {
	path, namespace string
}

// liveLoad tracks what the API server accepted: for each namespace, the pod
// that stands for each workload (the Pod itself, or a pod made from the
// controller's stored template and owned by it, as its controller would).
type liveLoad struct {
	podOf              map[string]map[ownerRef]string
	accepted, rejected int
	rejectedWhy        map[string]int
}

// TestLiveFidelity is the PSA fidelity acceptance of issue 8: PSS fixtures
// and real-world workloads are created in a real API server, one namespace
// per file; the plan read from the live cluster must agree with the API
// server on every namespace: enforcing the planned level warns about no
// existing pod, and enforcing the next level warns about exactly the pods of
// the workloads the plan says break, with the same messages.
func TestLiveFidelity(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an API server")
	}
	sources := append(fixtureSources(t), corpusSources(t)...)
	c := testcluster.Start(t, testcluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	quiet := rest.CopyConfig(c.Config)
	quiet.WarningHandler = rest.NoWarnings{}
	dyn, err := dynamic.NewForConfig(quiet)
	if err != nil {
		t.Fatal(err)
	}
	load := &liveLoad{podOf: map[string]map[ownerRef]string{}, rejectedWhy: map[string]int{}}
	var names []string
	for _, s := range sources {
		if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: s.namespace}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		names = append(names, s.namespace)
		load.file(ctx, t, dyn, s)
	}
	t.Logf("%d files, %d workloads accepted by the API server, %d rejected (%v)", len(sources), load.accepted, load.rejected, load.rejectedWhy)
	if load.accepted < 200 {
		t.Fatalf("only %d workloads loaded: the test needs a few hundred", load.accepted)
	}

	kinds := append(inventory.WorkloadKinds(), inventory.KindNamespace)
	inv, err := inventory.LoadCluster(ctx, inventory.ClusterOptions{Config: c.Config, Kinds: kinds})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := Plan(inv, Options{Namespaces: names})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Warnings) > 0 {
		t.Errorf("plan warnings: %v", plan.Warnings)
	}
	byLevel := map[api.Level]int{}
	agree, checks := 0, 0
	source := map[string]string{}
	for _, s := range sources {
		source[s.namespace] = s.path
	}
	for _, n := range plan.Namespaces {
		byLevel[n.Level]++
		got := dryRunEnforce(ctx, t, c, n.Name, n.Level, plan.Version)
		checks++
		if len(got) == 0 {
			agree++
		} else {
			t.Errorf("%s (%s): enforce=%s (planned) got warnings %q", n.Name, source[n.Name], n.Level, got)
		}
		if n.BreaksAt == nil {
			continue
		}
		checks++
		want := expectedWarnings(n, plan.Version, load.podOf[n.Name])
		got = dryRunEnforce(ctx, t, c, n.Name, n.BreaksAt.Level, plan.Version)
		if strings.Join(want, "\n") == strings.Join(got, "\n") {
			agree++
		} else {
			t.Errorf("%s (%s): enforce=%s\n plan predicts: %q\n API server:    %q", n.Name, source[n.Name], n.BreaksAt.Level, want, got)
		}
	}
	t.Logf("%d namespaces (%v), %d workloads, %d/%d dry-runs agree (%.1f%%)",
		len(plan.Namespaces), byLevel, load.accepted, agree, checks, 100*float64(agree)/float64(checks))
	if byLevel[api.LevelPrivileged] == 0 || byLevel[api.LevelBaseline] == 0 || byLevel[api.LevelRestricted] == 0 {
		t.Errorf("every level should be planned for some namespace: %v", byLevel)
	}
}

// dryRunEnforce sends enforce=level through Apply as a dry-run and returns
// the API server's warnings.
func dryRunEnforce(ctx context.Context, t *testing.T, c *testcluster.Cluster, ns string, level api.Level, version string) []string {
	t.Helper()
	res, err := Apply(ctx, c.Config, []Change{{Namespace: ns, Mode: ModeEnforce, Level: level, Version: version}}, true)
	if err != nil {
		t.Fatalf("%s: dry-run enforce=%s: %v", ns, level, err)
	}
	return res.Outcomes[0].Warnings
}

// expectedWarnings words the plan's prediction as the API server's
// namespace check does (admission.EvaluatePodsInNamespace): pods with the
// same violation message are folded under the lexically first pod name.
func expectedWarnings(n Namespace, version string, podOf map[ownerRef]string) []string {
	type group struct {
		first string
		count int
	}
	groups := map[string]*group{}
	for _, w := range n.BreaksAt.Workloads {
		pod := podOf[ownerRef{kind: w.Kind, name: w.Name}]
		if pod == "" {
			pod = "<no pod for " + w.Kind + "/" + w.Name + ">"
		}
		g := groups[w.Message]
		if g == nil {
			groups[w.Message] = &group{first: pod, count: 1}
			continue
		}
		g.count++
		if pod < g.first {
			g.first = pod
		}
	}
	if len(groups) == 0 {
		return nil
	}
	var pods []string
	for msg, g := range groups {
		switch g.count {
		case 1:
			pods = append(pods, fmt.Sprintf("%s: %s", g.first, msg))
		case 2:
			pods = append(pods, fmt.Sprintf("%s (and 1 other pod): %s", g.first, msg))
		default:
			pods = append(pods, fmt.Sprintf("%s (and %d other pods): %s", g.first, g.count-1, msg))
		}
	}
	sort.Strings(pods)
	lv := api.LevelVersion{Level: n.BreaksAt.Level, Version: api.MajorMinorVersion(1, minorOf(version))}
	head := fmt.Sprintf("existing pods in namespace %q violate the new PodSecurity enforce level %q", n.Name, lv.String())
	return append([]string{head}, pods...)
}

func minorOf(version string) int {
	v, err := api.ParseVersion(version)
	if err != nil {
		return 0
	}
	return v.Minor()
}

// file creates the workloads of one file in its namespace, each with a pod.
func (l *liveLoad) file(ctx context.Context, t *testing.T, dyn dynamic.Interface, s liveSource) {
	data, err := os.ReadFile(s.path)
	if err != nil {
		t.Fatal(err)
	}
	objs, _ := inventory.ParseDocuments(s.path, data, inventory.OriginFile)
	l.podOf[s.namespace] = map[ownerRef]string{}
	for _, o := range objs {
		res, ok := resources[o.GK]
		if !ok {
			continue
		}
		gv, _ := schema.ParseGroupVersion(o.Ref.APIVersion)
		gvr := gv.WithResource(res)
		u := &unstructured.Unstructured{Object: cleanForCreate(o.Content, s.namespace)}
		created, err := dyn.Resource(gvr).Namespace(s.namespace).Create(ctx, u, metav1.CreateOptions{})
		if err != nil {
			l.reject(err)
			continue
		}
		stored, err := inventory.NewObject(created.Object, inventory.OriginCluster, o.Source)
		if err != nil {
			t.Fatal(err)
		}
		owner := ownerRef{kind: stored.Ref.Kind, name: stored.Ref.Name}
		if stored.GK == inventory.KindPod {
			l.accepted++
			l.podOf[s.namespace][owner] = stored.Ref.Name
			continue
		}
		pod, ok := podFor(stored, created.GetUID())
		if !ok {
			t.Fatalf("%s: %s %s has no pod template", s.path, stored.Ref.Kind, stored.Ref.Name)
		}
		made, err := dyn.Resource(corev1.SchemeGroupVersion.WithResource("pods")).Namespace(s.namespace).Create(ctx, pod, metav1.CreateOptions{})
		if err != nil {
			// The controller would make no pod either: take it out.
			l.reject(err)
			if err := dyn.Resource(gvr).Namespace(s.namespace).Delete(ctx, created.GetName(), metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		l.accepted++
		l.podOf[s.namespace][owner] = made.GetName()
	}
}

func (l *liveLoad) reject(err error) {
	l.rejected++
	why := err.Error()
	if i := strings.IndexAny(why, ":\""); i > 0 {
		why = why[:i]
	}
	l.rejectedWhy[why]++
}

// cleanForCreate copies an object for creation in a namespace, without the
// fields the server sets.
func cleanForCreate(content map[string]any, ns string) map[string]any {
	out := deepCopy(content).(map[string]any)
	delete(out, "status")
	meta, _ := out["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		out["metadata"] = meta
	}
	for _, k := range []string{"uid", "resourceVersion", "creationTimestamp", "ownerReferences", "managedFields", "generation", "selfLink"} {
		delete(meta, k)
	}
	meta["namespace"] = ns
	return out
}

// podFor makes the pod a controller would make from its stored template:
// owned by it, with the volumes of a StatefulSet's claim templates.
func podFor(o *inventory.Object, uid any) (*unstructured.Unstructured, bool) {
	t, ok := o.PodTemplateOf()
	if !ok {
		return nil, false
	}
	meta := map[string]any{}
	for _, k := range []string{"labels", "annotations"} {
		if v, ok := t.Meta[k]; ok {
			meta[k] = deepCopy(v)
		}
	}
	meta["name"] = strings.ToLower(o.Ref.Kind) + "-" + o.Ref.Name
	meta["ownerReferences"] = []any{map[string]any{
		"apiVersion": o.Ref.APIVersion, "kind": o.Ref.Kind, "name": o.Ref.Name, "uid": fmt.Sprint(uid), "controller": true,
	}}
	spec := deepCopy(t.Spec).(map[string]any)
	if o.GK == inventory.KindStatefulSet {
		vols, _ := spec["volumes"].([]any)
		for _, c := range inventory.SliceAt(o.Content, "spec", "volumeClaimTemplates") {
			name, _ := inventory.StringAt(c.(map[string]any), "metadata", "name")
			vols = append(vols, map[string]any{"name": name, "persistentVolumeClaim": map[string]any{"claimName": name + "-" + o.Ref.Name + "-0"}})
		}
		if len(vols) > 0 {
			spec["volumes"] = vols
		}
	}
	return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}}, true
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}

// fixtureSources are the pass and fail fixtures of every PSS rule.
func fixtureSources(t *testing.T) []liveSource {
	var out []liveSource
	for _, c := range checks.Catalogue() {
		if c.Engine != checks.EnginePSS {
			continue
		}
		files, _ := filepath.Glob(filepath.Join("..", "checks", "testdata", string(c.ID), "*", "*.yaml"))
		for _, f := range files {
			out = append(out, liveSource{path: f, namespace: fmt.Sprintf("fx-%03d", len(out))})
		}
	}
	if len(out) == 0 {
		t.Fatal("no PSS fixture found under ../checks/testdata")
	}
	return out
}

// corpusSources are corpus files with workloads, in name order, until about
// corpusWorkloadTarget workload objects.
func corpusSources(t *testing.T) []liveSource {
	root := filepath.Join("..", "..", "..", "shared", "corpus", "real")
	if env := os.Getenv("KHARDEN_CORPUS"); env != "" {
		root = filepath.Join(env, "real")
	}
	var files []string
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Skipf("corpus not found at %s", root)
	}
	sort.Strings(files)
	var out []liveSource
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		objs, _ := inventory.ParseDocuments(f, data, inventory.OriginFile)
		w := 0
		for _, o := range objs {
			if _, ok := resources[o.GK]; ok {
				w++
			}
		}
		if w == 0 {
			continue
		}
		out = append(out, liveSource{path: f, namespace: fmt.Sprintf("co-%03d", len(out))})
		if n += w; n >= corpusWorkloadTarget {
			break
		}
	}
	return out
}
