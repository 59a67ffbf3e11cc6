package rollout

import (
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	celgo "github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/psa"
)

func TestParseStage(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Stage
		bad  bool
	}{
		{in: "0", want: StageNone},
		{in: "1", want: StageAudit},
		{in: "5", want: StageEverywhere},
		{in: "deny-canary", want: StageCanary},
		{in: "WARN", want: StageWarn},
		{in: "deny-production", want: StageProduction},
		{in: "6", bad: true},
		{in: "-1", bad: true},
		{in: "canary", bad: true},
		{in: "", bad: true},
	} {
		got, err := ParseStage(tc.in)
		switch {
		case tc.bad && err == nil:
			t.Errorf("ParseStage(%q) = %s, want an error", tc.in, got)
		case !tc.bad && (err != nil || got != tc.want):
			t.Errorf("ParseStage(%q) = %s, %v; want %s", tc.in, got, err, tc.want)
		case tc.bad && !strings.Contains(err.Error(), tc.in):
			t.Errorf("ParseStage(%q): error %q does not name the input", tc.in, err)
		}
	}
	for _, s := range append([]Stage{StageNone}, Stages()...) {
		if back, err := ParseStage(s.String()); err != nil || back != s {
			t.Errorf("stage %d: name %q reads back as %s, %v", s, s, back, err)
		}
		if s.Describe() == "" || s.Describe() == s.String() {
			t.Errorf("stage %s has no description", s)
		}
	}
	if got := Stage(9).String(); got != "stage(9)" {
		t.Errorf("Stage(9) = %q", got)
	}
}

var (
	day0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	day1 = day0.AddDate(0, 0, 1)
	day2 = day0.AddDate(0, 0, 2)
)

func TestStateMove(t *testing.T) {
	const a, b finding.RuleID = "rule-a", "rule-b"
	empty := &State{Rules: map[finding.RuleID]*RuleState{}}
	st, err := empty.Move(map[finding.RuleID]Stage{a: StageAudit, b: StageAudit}, day0)
	if err != nil {
		t.Fatal(err)
	}
	if st.StageOf(a) != StageAudit || st.Rules[a].Since() != day0 || !st.Applied.Equal(day0) {
		t.Fatalf("after the first move: %+v", st.Rules[a])
	}
	if len(empty.Rules) != 0 {
		t.Fatal("Move changed its receiver")
	}
	// One rule skipping refuses the whole move, naming it.
	_, err = st.Move(map[finding.RuleID]Stage{a: StageWarn, b: StageCanary}, day1)
	if err == nil || !strings.Contains(err.Error(), string(b)) || strings.Contains(err.Error(), string(a)+" ") ||
		!strings.Contains(err.Error(), "skips warn") || !strings.Contains(err.Error(), "nothing written") {
		t.Fatalf("a skip: %v", err)
	}
	if st.StageOf(a) != StageAudit || st.StageOf(b) != StageAudit {
		t.Fatal("a refused move changed the state")
	}
	// From none straight to deny is a skip too.
	if _, err := empty.Move(map[finding.RuleID]Stage{a: StageEverywhere}, day1); err == nil {
		t.Fatal("none to deny-everywhere was accepted")
	}
	next, err := st.Move(map[finding.RuleID]Stage{a: StageWarn, b: StageAudit}, day1)
	if err != nil {
		t.Fatal(err)
	}
	if next.StageOf(a) != StageWarn || len(next.Rules[a].History) != 2 || len(next.Rules[b].History) != 1 {
		t.Fatalf("after a step: a %+v, b %+v", next.Rules[a], next.Rules[b])
	}
	if len(st.Rules[a].History) != 1 {
		t.Fatal("Move shared history with its receiver")
	}
	if prev, ok := next.Previous(a); !ok || prev != StageAudit {
		t.Errorf("Previous = %s, %v", prev, ok)
	}
	// Moving down is allowed (any number of stages).
	down, err := next.Move(map[finding.RuleID]Stage{a: StageNone}, day2)
	if err != nil || down.StageOf(a) != StageNone {
		t.Fatalf("moving down: %v", err)
	}
	if got := next.RuleIDs(); !reflect.DeepEqual(got, []finding.RuleID{a, b}) {
		t.Errorf("RuleIDs = %v", got)
	}
	var nilState *State
	if nilState.StageOf(a) != StageNone || (*RuleState)(nil).Since() != (time.Time{}) {
		t.Error("nil state")
	}
}

func TestStateRollback(t *testing.T) {
	const a, b finding.RuleID = "rule-a", "rule-b"
	st := &State{Rules: map[finding.RuleID]*RuleState{}}
	for i, s := range []Stage{StageAudit, StageWarn, StageCanary} {
		var err error
		if st, err = st.Move(map[finding.RuleID]Stage{a: s}, day0.AddDate(0, 0, i)); err != nil {
			t.Fatal(err)
		}
	}
	back, err := st.Rollback([]finding.RuleID{a}, day2)
	if err != nil {
		t.Fatal(err)
	}
	if back.StageOf(a) != StageWarn || len(back.Rules[a].History) != 2 || st.StageOf(a) != StageCanary {
		t.Fatalf("rollback from canary: now %s (history %d), receiver %s", back.StageOf(a), len(back.Rules[a].History), st.StageOf(a))
	}
	twice, err := back.Rollback([]finding.RuleID{a}, day2)
	if err != nil || twice.StageOf(a) != StageAudit {
		t.Fatalf("second rollback: %s, %v", twice.StageOf(a), err)
	}
	// A rule that never moved makes the whole rollback fail.
	if _, err := st.Rollback([]finding.RuleID{a, b}, day2); err == nil || !strings.Contains(err.Error(), string(b)) {
		t.Fatalf("rollback of a rule that never moved: %v", err)
	}
	first, _ := twice.Rollback([]finding.RuleID{a}, day2)
	if first.StageOf(a) != StageNone {
		t.Fatalf("rollback of the first step: %s", first.StageOf(a))
	}
	if _, err := first.Rollback([]finding.RuleID{a}, day2); err == nil {
		t.Fatal("rollback past the first stage was accepted")
	}
}

func TestGlobRegex(t *testing.T) {
	names := []string{"", "a", "ab", "abc", "team-a", "team-b", "team-", "teamx", "x.y", "xzy", "b1", "c", "a-b-c", "kube-system"}
	for _, p := range []string{"a", "team-*", "team-?", "*", "x.y", "[ab]*", "[!ab]", "[^ab]", "[a-c]1", "a*c", "kube-*", "*-b-*", "[abc"} {
		re, err := regexp.Compile("^" + globRegex(p) + "$")
		if err != nil {
			t.Errorf("pattern %q: %v", p, err)
			continue
		}
		for _, n := range names {
			want, err := path.Match(p, n)
			if err != nil {
				// path.Match refuses a malformed class; globRegex reads it literally.
				want = n == p
			}
			if got := re.MatchString(n); got != want {
				t.Errorf("pattern %q, name %q: regex %s says %v, path.Match %v", p, n, re, got, want)
			}
		}
	}
}

// evalCEL evaluates a match condition's expression as the API server does,
// over a request and an object.
func evalCEL(t *testing.T, expr string, request, object map[string]any) bool {
	t.Helper()
	env, err := celgo.NewEnv(celgo.OptionalTypes(), ext.Strings(ext.StringsVersion(2)),
		celgo.Variable("request", celgo.DynType), celgo.Variable("object", celgo.DynType))
	if err != nil {
		t.Fatal(err)
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		t.Fatalf("%s: %v", expr, iss.Err())
	}
	if ast.OutputType() != celgo.BoolType {
		t.Fatalf("%s: type %s, want bool", expr, ast.OutputType())
	}
	prg, err := env.Program(ast)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := prg.Eval(map[string]any{"request": request, "object": object})
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return out.Value().(bool)
}

// celObject is an object of kind in ns, named name, owned by owner (if
// any), with annotations.
func celObject(kind, ns, name, owner string, ann map[string]any) (map[string]any, map[string]any) {
	meta := map[string]any{"name": name, "namespace": ns}
	if owner != "" {
		meta["ownerReferences"] = []any{map[string]any{"name": owner, "kind": "ReplicaSet"}}
	}
	if ann != nil {
		meta["annotations"] = ann
	}
	return map[string]any{"namespace": ns, "kind": map[string]any{"kind": kind}},
		map[string]any{"kind": kind, "metadata": meta}
}

func TestScopeExpr(t *testing.T) {
	type obj struct{ kind, ns, name, owner string }
	for _, tc := range []struct {
		scope config.Scope
		in    []obj
		out   []obj
	}{
		{scope: config.Scope{}, in: []obj{{"Pod", "a", "x", ""}}},
		{
			scope: config.Scope{Namespaces: []string{"team-*"}, Names: []string{"api"}},
			in:    []obj{{"Deployment", "team-a", "api", ""}, {"Pod", "team-b", "api-7d9f-x2x1", "api-7d9f"}, {"Job", "team-a", "api-123", "api"}},
			out:   []obj{{"Deployment", "prod", "api", ""}, {"Deployment", "team-a", "api2", ""}, {"Pod", "team-a", "web", "web-1"}, {"Pod", "team-a", "x", "api-a-b"}},
		},
		{
			scope: config.Scope{Kinds: []string{"CronJob", "Job"}},
			in:    []obj{{"Job", "a", "x", ""}, {"CronJob", "b", "y", ""}},
			out:   []obj{{"Pod", "a", "x", ""}, {"JobX", "a", "x", ""}},
		},
		{
			scope: config.Scope{Names: []string{"db-[0-9]"}},
			in:    []obj{{"StatefulSet", "a", "db-1", ""}},
			out:   []obj{{"StatefulSet", "a", "db-x", ""}, {"StatefulSet", "a", "db-12", ""}},
		},
	} {
		expr, err := scopeExpr(tc.scope)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []bool{true, false} {
			list := tc.in
			if !want {
				list = tc.out
			}
			for _, o := range list {
				req, ob := celObject(o.kind, o.ns, o.name, o.owner, nil)
				if got := evalCEL(t, expr, req, ob); got != want {
					t.Errorf("scope %+v, %+v: %v, want %v\n%s", tc.scope, o, got, want, expr)
				}
			}
		}
	}
	for _, bad := range []config.Scope{{Names: []string{"a/b"}}, {Namespaces: []string{"x'y"}}, {Kinds: []string{`a\`}}} {
		if _, err := scopeExpr(bad); err == nil {
			t.Errorf("scope %+v exported", bad)
		}
	}
}

func TestExceptionConditions(t *testing.T) {
	const rule finding.RuleID = "image-latest-tag"
	cfg := &config.Config{Exceptions: []config.Exception{
		{Rules: []finding.RuleID{rule}, Owner: "a", Reason: "r", Expires: "2026-03-10", Scope: config.Scope{Namespaces: []string{"ns1"}}},
		{Rules: []finding.RuleID{rule}, Owner: "b", Reason: "r", Expires: "2026-03-09", Scope: config.Scope{Namespaces: []string{"ns2"}}},
		{Rules: []finding.RuleID{"other"}, Owner: "c", Reason: "r", Permanent: true, Scope: config.Scope{Namespaces: []string{"ns3"}}},
		{Rules: []finding.RuleID{"*"}, Owner: "d", Reason: "r", Permanent: true, Scope: config.Scope{Names: []string{"wild"}}},
		{Rules: []finding.RuleID{rule}, Owner: "e", Reason: "r", Permanent: true, Scope: config.Scope{Files: []string{"x.yaml"}}},
	}}
	conds, notes, err := exceptionConditions(rule, cfg, day0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range conds {
		names = append(names, c.Name)
	}
	if want := []string{"kharden-exception-0", "kharden-exception-3", "kharden-annotation-exception"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("conditions %v, want %v", names, want)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "exceptions[4]") {
		t.Errorf("notes %v", notes)
	}
	admitted := func(kind, ns, name string, ann map[string]any, tmpl map[string]any) bool {
		req, ob := celObject(kind, ns, name, "", ann)
		if tmpl != nil {
			ob["spec"] = map[string]any{"template": map[string]any{"metadata": map[string]any{"annotations": tmpl}}}
		}
		for _, c := range conds {
			if !evalCEL(t, c.Expression, req, ob) {
				return false
			}
		}
		return true
	}
	// admitted means "the policy judges it"; false: an exception covers it.
	if admitted("Pod", "ns1", "x", nil, nil) || admitted("Pod", "ns9", "wild", nil, nil) {
		t.Error("an exception in force was not honoured")
	}
	if !admitted("Pod", "ns2", "x", nil, nil) || !admitted("Pod", "ns3", "x", nil, nil) {
		t.Error("an expired exception, or one for another rule, was honoured")
	}
	ann := func(rules, reason, until string) map[string]any {
		m := map[string]any{checks.AnnotationIgnore: rules, checks.AnnotationIgnoreUntil: until}
		if reason != "" {
			m[checks.AnnotationIgnoreReason] = reason
		}
		return m
	}
	for _, tc := range []struct {
		ann, tmpl map[string]any
		judged    bool
	}{
		{ann: ann("image-latest-tag", "vendor", "2026-03-10"), judged: false},
		{ann: ann("other, image-latest-tag", "vendor", "2026-04-01"), judged: false},
		{ann: ann("all", "vendor", "2026-04-01"), judged: false},
		{ann: ann("image-latest-tag", "vendor", "2026-03-09"), judged: true},
		{ann: ann("image-latest-tag", "", "2026-04-01"), judged: true},
		{ann: ann("other", "vendor", "2026-04-01"), judged: true},
		{tmpl: ann("image-latest-tag", "vendor", "2026-04-01"), judged: false},
		// The object's own declaration wins over its template's.
		{ann: ann("other", "vendor", "2026-04-01"), tmpl: ann("image-latest-tag", "vendor", "2026-04-01"), judged: true},
	} {
		if got := admitted("Deployment", "ns9", "x", tc.ann, tc.tmpl); got != tc.judged {
			t.Errorf("annotations %v, template %v: judged %v, want %v", tc.ann, tc.tmpl, got, tc.judged)
		}
	}
	// An unexportable scope is an error naming the exception.
	bad := &config.Config{Exceptions: []config.Exception{{Rules: []finding.RuleID{rule}, Owner: "a", Reason: "r", Permanent: true,
		Scope: config.Scope{Names: []string{"a/b"}}}}}
	if _, _, err := exceptionConditions(rule, bad, day0); err == nil || !strings.Contains(err.Error(), "exceptions[0]") {
		t.Errorf("unexportable scope: %v", err)
	}
	many := &config.Config{}
	for i := 0; i < MaxMatchConditions; i++ {
		many.Exceptions = append(many.Exceptions, config.Exception{Rules: []finding.RuleID{rule}, Owner: "a", Reason: "r", Permanent: true})
	}
	if _, _, err := exceptionConditions(rule, many, day0); err == nil || !strings.Contains(err.Error(), "matchConditions") {
		t.Errorf("too many exceptions: %v", err)
	}
}

func TestExceptionsExpiring(t *testing.T) {
	cfg := &config.Config{Exceptions: []config.Exception{
		{Rules: []finding.RuleID{"a"}, Owner: "o", Reason: "r", Expires: "2026-03-09"},
		{Rules: []finding.RuleID{"a"}, Owner: "o", Reason: "r", Expires: "2026-03-10"},
		{Rules: []finding.RuleID{"a"}, Owner: "o", Reason: "r", Expires: "2026-03-24"},
		{Rules: []finding.RuleID{"a"}, Owner: "o", Reason: "r", Expires: "2026-03-25"},
		{Rules: []finding.RuleID{"a"}, Owner: "o", Reason: "r", Permanent: true, Scope: config.Scope{Files: []string{"f.yaml"}}},
	}}
	all := Exceptions(cfg, day0)
	type view struct {
		expired bool
		days    int
		native  bool
	}
	var got []view
	for _, e := range all {
		got = append(got, view{e.Expired, e.DaysLeft, e.Native})
	}
	want := []view{{true, -1, true}, {false, 0, true}, {false, 14, true}, {false, 15, true}, {false, -1, false}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Exceptions = %+v, want %+v", got, want)
	}
	if all[4].CIOnly == "" {
		t.Error("a file-scoped exception has no CIOnly reason")
	}
	var idx []int
	for _, e := range Expiring(all, 14*24*time.Hour) {
		idx = append(idx, e.Index)
	}
	if !reflect.DeepEqual(idx, []int{1, 2}) {
		t.Errorf("Expiring(14d) = %v, want [1 2]", idx)
	}
}

// placement is the namespaces of the binding tests.
func placementFixture(t *testing.T) (*config.Config, []Namespace, Placement) {
	t.Helper()
	cfg, err := config.Parse([]byte("productionNamespaces: [prod-*]\nrollout:\n  canary:\n    namespaces: [canary-name]\n    selector: tier=canary\n  exclude: [kube-system, legacy-*]\n"))
	if err != nil {
		t.Fatal(err)
	}
	nss := []Namespace{
		{Name: "canary-name"}, {Name: "canary-label", Labels: map[string]string{"tier": "canary"}},
		{Name: "prod-eu"}, {Name: "apps"}, {Name: "kube-system"}, {Name: "legacy-app"},
	}
	return cfg, nss, Place(cfg, nss)
}

func TestPlace(t *testing.T) {
	_, _, p := placementFixture(t)
	want := Placement{
		Canary:     map[string]bool{"canary-name": true, "canary-label": true},
		Production: map[string]bool{"prod-eu": true},
		Excluded:   map[string]bool{"kube-system": true, "legacy-app": true},
	}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("Place = %+v, want %+v", p, want)
	}
}

func TestBindings(t *testing.T) {
	cfg, nss, place := placementFixture(t)
	// A namespace labelled a canary after the apply is denied by the selector binding.
	late := Namespace{Name: "late", Labels: map[string]string{"tier": "canary"}}
	nss = append(nss, late)
	pol := &admissionregistrationv1.ValidatingAdmissionPolicy{}
	pol.Name = "kharden-rule"
	const (
		A = admissionregistrationv1.Audit
		W = admissionregistrationv1.Warn
		D = admissionregistrationv1.Deny
	)
	none := []admissionregistrationv1.ValidationAction(nil)
	for _, tc := range []struct {
		stage Stage
		want  map[string][]admissionregistrationv1.ValidationAction
	}{
		{StageNone, map[string][]admissionregistrationv1.ValidationAction{"apps": none}},
		{StageAudit, map[string][]admissionregistrationv1.ValidationAction{"canary-name": {A}, "canary-label": {A}, "prod-eu": {A}, "apps": {A}, "late": {A}}},
		{StageWarn, map[string][]admissionregistrationv1.ValidationAction{"canary-name": {A, W}, "canary-label": {A, W}, "prod-eu": {A, W}, "apps": {A, W}, "late": {A, W}}},
		{StageCanary, map[string][]admissionregistrationv1.ValidationAction{"canary-name": {A, D, W}, "canary-label": {A, D, W}, "prod-eu": {A, W}, "apps": {A, W}, "late": {A, D, W}}},
		{StageProduction, map[string][]admissionregistrationv1.ValidationAction{"canary-name": {A, D, W}, "canary-label": {A, D, W}, "prod-eu": {A, D, W}, "apps": {A, W}, "late": {A, D, W}}},
		{StageEverywhere, map[string][]admissionregistrationv1.ValidationAction{"canary-name": {D}, "canary-label": {D}, "prod-eu": {D}, "apps": {D}, "late": {D}}},
	} {
		bs := Bindings(pol, tc.stage, cfg, place)
		names := map[string]bool{}
		for _, b := range bs {
			if names[b.Name] {
				t.Errorf("%s: binding name %s twice", tc.stage, b.Name)
			}
			names[b.Name] = true
			if b.Spec.PolicyName != pol.Name || b.Labels[stageLabel] != tc.stage.String() || b.Labels[ManagedBy] != "kharden" {
				t.Errorf("%s: binding %s: policy %q, labels %v", tc.stage, b.Name, b.Spec.PolicyName, b.Labels)
			}
		}
		for _, ns := range nss {
			var got []admissionregistrationv1.ValidationAction
			seen := map[admissionregistrationv1.ValidationAction]bool{}
			for _, b := range bs {
				if selectorMatches(b.Spec.MatchResources.NamespaceSelector, ns) {
					for _, a := range b.Spec.ValidationActions {
						if !seen[a] {
							seen[a] = true
							got = append(got, a)
						}
					}
				}
			}
			sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
			want := tc.want[ns.Name]
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s in %s: actions %v, want %v", tc.stage, ns.Name, got, want)
			}
		}
	}
}

func TestPSALabels(t *testing.T) {
	_, _, place := placementFixture(t)
	const v = "v1.30"
	enforced := func(s Stage, ns string, held bool) (map[string]string, bool) {
		l := PSALabels(s, ns, "restricted", v, place, held)
		_, ok := l[psa.LabelPrefix+"enforce"]
		return l, ok
	}
	if l := PSALabels(StageNone, "apps", "restricted", v, place, false); l != nil {
		t.Errorf("stage none: %v", l)
	}
	if l := PSALabels(StageEverywhere, "kube-system", "restricted", v, place, false); l != nil {
		t.Errorf("excluded namespace: %v", l)
	}
	audit := PSALabels(StageAudit, "apps", "baseline", v, place, false)
	if !reflect.DeepEqual(audit, map[string]string{psa.LabelPrefix + "audit": "baseline", psa.LabelPrefix + "audit-version": v}) {
		t.Errorf("audit: %v", audit)
	}
	if l := PSALabels(StageWarn, "canary-name", "restricted", v, place, false); l[psa.LabelPrefix+"warn"] != "restricted" || l[psa.LabelPrefix+"warn-version"] != v || len(l) != 4 {
		t.Errorf("warn: %v", l)
	}
	for _, tc := range []struct {
		stage Stage
		ns    string
		held  bool
		want  bool
	}{
		{StageCanary, "canary-name", false, true},
		{StageCanary, "canary-label", false, true},
		{StageCanary, "prod-eu", false, false},
		{StageCanary, "apps", false, false},
		{StageProduction, "prod-eu", false, true},
		{StageProduction, "apps", false, false},
		{StageEverywhere, "apps", false, true},
		{StageEverywhere, "apps", true, false},
		{StageCanary, "canary-name", true, false},
	} {
		l, got := enforced(tc.stage, tc.ns, tc.held)
		if got != tc.want || (got && l[psa.LabelPrefix+"enforce-version"] != v) {
			t.Errorf("%s in %s (held %v): labels %v, enforce want %v", tc.stage, tc.ns, tc.held, l, tc.want)
		}
	}
}

func TestHeldNamespaces(t *testing.T) {
	docs := `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: by-name}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: by-annotation}
spec:
  template:
    metadata:
      annotations: {kharden.dev/ignore: privileged-container, kharden.dev/ignore-reason: legacy, kharden.dev/ignore-until: "2026-04-01"}
    spec: {containers: [{name: app, image: app:1}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: old
  namespace: expired-annotation
  annotations: {kharden.dev/ignore: privileged-container, kharden.dev/ignore-reason: legacy, kharden.dev/ignore-until: "2026-03-01"}
---
apiVersion: v1
kind: Pod
metadata:
  name: cel
  namespace: cel-annotation
  annotations: {kharden.dev/ignore: image-latest-tag, kharden.dev/ignore-reason: legacy, kharden.dev/ignore-until: "2026-04-01"}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: other}
`
	objs, diags := inventory.ParseDocuments("held.yaml", []byte(docs), inventory.OriginFile)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	inv := &inventory.Inventory{Objects: objs}
	cfg := &config.Config{Exceptions: []config.Exception{
		{Rules: []finding.RuleID{"host-network"}, Owner: "net", Reason: "r", Expires: "2026-04-01", Scope: config.Scope{Namespaces: []string{"by-name"}, Names: []string{"web"}}},
		{Rules: []finding.RuleID{PodSecurity}, Owner: "ops", Reason: "r", Permanent: true, Scope: config.Scope{Namespaces: []string{"whole-ns"}}},
		{Rules: []finding.RuleID{"privileged-container"}, Owner: "x", Reason: "r", Expires: "2026-03-01", Scope: config.Scope{Namespaces: []string{"other"}}},
		{Rules: []finding.RuleID{"image-latest-tag"}, Owner: "y", Reason: "r", Permanent: true, Scope: config.Scope{Namespaces: []string{"other"}}},
	}}
	held := HeldNamespaces(cfg, inv, day0)
	var got []string
	for ns, why := range held {
		if why == "" {
			t.Errorf("%s held without a reason", ns)
		}
		got = append(got, ns)
	}
	sort.Strings(got)
	if want := []string{"by-annotation", "by-name", "whole-ns"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("held %v, want %v (%v)", got, want, held)
	}
	if !strings.Contains(held["by-name"], "exceptions[0]") || !strings.Contains(held["by-annotation"], "kharden.dev/ignore") {
		t.Errorf("reasons: %v", held)
	}
}

// FuzzParseStage: any --stage argument gives a stage that reads back the
// same, or an error naming the argument; never a panic.
func FuzzParseStage(f *testing.F) {
	for _, s := range []string{"0", "3", "5", "6", "-1", "audit", "Deny-Canary", "", "99999999999999999999", "+1", " 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseStage(in)
		if err != nil {
			return
		}
		if s < StageNone || s > StageEverywhere {
			t.Fatalf("ParseStage(%q) = %d, out of range", in, s)
		}
		if back, err := ParseStage(s.String()); err != nil || back != s {
			t.Fatalf("ParseStage(%q) = %s, which reads back as %s, %v", in, s, back, err)
		}
	})
}

// ReadAudit takes a log directory for the files in it; one without any is
// an error naming it.
func TestReadAuditDirectories(t *testing.T) {
	dir := t.TempDir()
	line := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"1","stage":"ResponseComplete","verb":"create",` +
		`"requestReceivedTimestamp":"2026-11-25T10:00:00Z","objectRef":{"resource":"pods","namespace":"apps","apiVersion":"v1"},` +
		`"responseStatus":{"code":403,"message":"pods \"x\" is forbidden: ValidatingAdmissionPolicy 'kharden-image-latest-tag' with binding 'kharden-image-latest-tag' denied request: latest"}}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "audit.log"), []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	sum, err := ReadAudit([]string{dir}, nil, time.Time{})
	if err != nil || sum.Denied["image-latest-tag"]["apps"] != 1 {
		t.Fatalf("directory: %v %+v", err, sum)
	}
	empty := t.TempDir()
	if _, err := ReadAudit([]string{empty}, nil, time.Time{}); err == nil || !strings.Contains(err.Error(), empty) {
		t.Errorf("empty directory: %v", err)
	}
}
