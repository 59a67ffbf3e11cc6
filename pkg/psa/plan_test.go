package psa

import (
	"strings"
	"testing"

	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/pkg/inventory"
)

func parse(t testing.TB, yaml string) *inventory.Inventory {
	t.Helper()
	objs, diags := inventory.ParseDocuments("test.yaml", []byte(yaml), inventory.OriginFile)
	if len(diags) > 0 {
		t.Fatalf("parse: %v", diags)
	}
	b := &inventory.Builder{DefaultNamespace: "default"}
	for _, o := range objs {
		b.Add(o)
	}
	return b.Build()
}

const restrictedPod = `apiVersion: v1
kind: Pod
metadata: {name: good, namespace: calm}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: c
    image: nginx
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`

const baselinePod = `apiVersion: v1
kind: Pod
metadata: {name: plain, namespace: mid}
spec:
  containers: [{name: c, image: nginx}]
`

const privilegedDeployment = `apiVersion: v1
kind: Namespace
metadata:
  name: wild
  labels: {pod-security.kubernetes.io/enforce: baseline, team: x}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: wild}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      hostNetwork: true
      containers: [{name: c, image: nginx, securityContext: {privileged: true}}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-1
  namespace: wild
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: u1, controller: true}]
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      hostNetwork: true
      containers: [{name: c, image: nginx, securityContext: {privileged: true}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: web-1-abc
  namespace: wild
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-1, uid: u2, controller: true}]
spec:
  hostNetwork: true
  containers: [{name: c, image: nginx, securityContext: {privileged: true}}]
---
apiVersion: v1
kind: Namespace
metadata: {name: empty}
`

func TestPlanLevels(t *testing.T) {
	inv := parse(t, restrictedPod+"---\n"+baselinePod+"---\n"+privilegedDeployment)
	p, err := Plan(inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]api.Level{"calm": api.LevelRestricted, "mid": api.LevelBaseline, "wild": api.LevelPrivileged, "empty": api.LevelRestricted}
	if len(p.Namespaces) != len(want) {
		t.Fatalf("namespaces: got %d, want %d: %+v", len(p.Namespaces), len(want), p.Namespaces)
	}
	for _, n := range p.Namespaces {
		if n.Level != want[n.Name] {
			t.Errorf("%s: level %s, want %s", n.Name, n.Level, want[n.Name])
		}
		if n.Labels["pod-security.kubernetes.io/enforce"] != string(n.Level) || n.Labels["pod-security.kubernetes.io/warn-version"] != p.Version {
			t.Errorf("%s: labels %v", n.Name, n.Labels)
		}
		if (n.Level == api.LevelRestricted) != (n.BreaksAt == nil) {
			t.Errorf("%s: breaksAt %+v at level %s", n.Name, n.BreaksAt, n.Level)
		}
	}
	wild := find(t, p, "wild")
	if wild.Workloads != 1 || len(wild.BreaksAt.Workloads) != 1 {
		t.Fatalf("wild: the Deployment, its ReplicaSet and pod are one workload: %+v", wild)
	}
	w := wild.BreaksAt.Workloads[0]
	if w.Kind != "Deployment" || w.Name != "web" || len(w.Checks) != 2 || !strings.Contains(w.Message, "privileged") {
		t.Errorf("wild breaks: %+v", w)
	}
	if wild.Current["pod-security.kubernetes.io/enforce"] != "baseline" || len(wild.Current) != 1 {
		t.Errorf("wild current labels: %v", wild.Current)
	}
	mid := find(t, p, "mid")
	if mid.BreaksAt.Level != api.LevelRestricted || len(mid.BreaksAt.Workloads) != 1 || len(mid.BreaksAt.Workloads[0].Checks) < 3 {
		t.Errorf("mid breaks: %+v", mid.BreaksAt)
	}
}

func find(t *testing.T, p *Proposal, ns string) Namespace {
	t.Helper()
	for _, n := range p.Namespaces {
		if n.Name == ns {
			return n
		}
	}
	t.Fatalf("namespace %s not planned", ns)
	return Namespace{}
}

func TestPlanOptions(t *testing.T) {
	inv := parse(t, restrictedPod+"---\n"+baselinePod)
	p, err := Plan(inv, Options{Version: "v1.30", Namespaces: []string{"mid", "mid"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != "v1.30" || len(p.Namespaces) != 1 || p.Namespaces[0].Labels["pod-security.kubernetes.io/audit-version"] != "v1.30" {
		t.Errorf("plan: %+v", p)
	}
	p, err = Plan(inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if pin, _ := PinnedVersion("latest"); p.Version != pin || pin == "latest" || !strings.HasPrefix(pin, "v1.") {
		t.Errorf("latest pins %q (plan %q)", pin, p.Version)
	}
	for _, bad := range []Options{{Version: "v2"}, {Version: "1.30"}, {Namespaces: []string{"nope"}}} {
		if _, err := Plan(inv, bad); err == nil {
			t.Errorf("%+v: want an error", bad)
		}
	}
}

func TestParse(t *testing.T) {
	for _, s := range []string{"audit", "warn", "enforce"} {
		if m, err := ParseMode(s); err != nil || string(m) != s {
			t.Errorf("ParseMode(%q) = %q, %v", s, m, err)
		}
	}
	for _, s := range []string{"", "Enforce", "deny"} {
		if _, err := ParseMode(s); err == nil {
			t.Errorf("ParseMode(%q): want an error", s)
		}
	}
	for _, s := range []string{"privileged", "baseline", "restricted"} {
		if l, err := ParseLevel(s); err != nil || string(l) != s {
			t.Errorf("ParseLevel(%q) = %q, %v", s, l, err)
		}
	}
	for _, s := range []string{"", "strict", "Restricted"} {
		if _, err := ParseLevel(s); err == nil {
			t.Errorf("ParseLevel(%q): want an error", s)
		}
	}
	if _, err := ParseSelector("a in (b"); err == nil {
		t.Error("bad selector accepted")
	}
	if _, err := ParseSelector("env=prod,!canary"); err != nil {
		t.Error(err)
	}
}

// FuzzPlan feeds arbitrary manifests to the plan: it must never panic.
func FuzzPlan(f *testing.F) {
	f.Add([]byte(restrictedPod))
	f.Add([]byte(privilegedDeployment))
	f.Add([]byte("kind: Pod\napiVersion: v1\nmetadata: {name: x}\nspec: {containers: 3}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, _ := inventory.ParseDocuments("fuzz.yaml", data, inventory.OriginFile)
		b := &inventory.Builder{DefaultNamespace: "default"}
		for _, o := range objs {
			b.Add(o)
		}
		if _, err := Plan(b.Build(), Options{}); err != nil {
			t.Fatal(err)
		}
	})
}
