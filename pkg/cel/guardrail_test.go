package cel

import (
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		g    Guardrail
		want string
	}{
		{"syntax", Guardrail{Scope: ScopeObject, Expression: "object.metadata.(", Message: "m"}, "expression does not compile"},
		{"undeclared", Guardrail{Scope: ScopeObject, Expression: "request.name == 'x'", Message: "m"}, "undeclared reference to 'request'"},
		{"not bool", Guardrail{Scope: ScopeObject, Expression: "'yes'", Message: "m"}, "must evaluate to bool, not string"},
		{"dyn is not bool", Guardrail{Scope: ScopeObject, Expression: "object.spec", Message: "m"}, "must evaluate to bool"},
		{"container in object scope", Guardrail{Scope: ScopeObject, Expression: "has(container.image)", Message: "m"}, "container not available in object scope"},
		{"spec in object scope", Guardrail{Scope: ScopeObject, Expression: "has(spec.hostPID)", Message: "m"}, "spec not available in object scope"},
		{"no message", Guardrail{Scope: ScopePod, Expression: "true"}, "neither message nor messageExpression"},
		{"empty", Guardrail{Scope: ScopePod, Expression: " ", Message: "m"}, "no expression"},
		{"bad scope", Guardrail{Scope: "node", Expression: "true", Message: "m"}, `unknown guardrail scope "node"`},
		{"bad set", Guardrail{Scope: ScopeContainer, ContainerSets: []inventory.ContainerSet{"sidecars"}, Expression: "true", Message: "m"}, `unknown container set "sidecars"`},
		{"message not string", Guardrail{Scope: ScopePod, Expression: "true", MessageExpression: "1"}, "messageExpression must evaluate to string"},
		{"paths not list", Guardrail{Scope: ScopePod, Expression: "true", Message: "m", FieldPathsExpression: "'a'"}, "fieldPathsExpression must evaluate to list"},
		{"outside VAP env", Guardrail{Scope: ScopeObject, Expression: "cel.bind(x, 1, x == 1)", Message: "m"}, "does not compile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(&tt.g)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Compile error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func mustObject(t *testing.T, content map[string]any) *inventory.Object {
	t.Helper()
	o, err := inventory.NewObject(content, inventory.OriginFile, finding.Source{File: "x.yaml", Line: 1})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func deployment(containers, initContainers []any) map[string]any {
	return map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "api", "namespace": "shop"},
		"spec": map[string]any{"template": map[string]any{
			"metadata": map[string]any{"labels": map[string]any{"app": "api"}},
			"spec":     map[string]any{"containers": containers, "initContainers": initContainers},
		}},
	}
}

func TestEvaluateContainerScope(t *testing.T) {
	prg, err := Compile(&Guardrail{
		Scope:             ScopeContainer,
		Expression:        "container.?securityContext.?readOnlyRootFilesystem.orValue(false) == true",
		MessageExpression: "'container ' + container.name + ' is writable'",
		FieldPath:         "securityContext.readOnlyRootFilesystem",
	})
	if err != nil {
		t.Fatal(err)
	}
	ro := map[string]any{"readOnlyRootFilesystem": true}
	o := mustObject(t, deployment(
		[]any{map[string]any{"name": "a", "securityContext": ro}, map[string]any{"name": "b"}},
		[]any{map[string]any{"name": "init"}},
	))
	vs, err := prg.Evaluate(NewInput(o, nil))
	if err != nil {
		t.Fatal(err)
	}
	want := []Violation{
		{Path: "spec.template.spec.containers[1].securityContext.readOnlyRootFilesystem", Container: "b", Message: "container b is writable"},
		{Path: "spec.template.spec.initContainers[0].securityContext.readOnlyRootFilesystem", Container: "init", Message: "container init is writable"},
	}
	if len(vs) != len(want) {
		t.Fatalf("got %+v, want %+v", vs, want)
	}
	for i := range want {
		if vs[i] != want[i] {
			t.Errorf("violation %d = %+v, want %+v", i, vs[i], want[i])
		}
	}
}

func TestEvaluatePodAndObjectScope(t *testing.T) {
	o := mustObject(t, deployment([]any{map[string]any{"name": "a"}}, nil))
	pod, err := Compile(&Guardrail{Scope: ScopePod, Expression: "podMeta.?labels[?'team'].hasValue()", Message: "no team", FieldPath: "metadata.labels"})
	if err != nil {
		t.Fatal(err)
	}
	vs, err := pod.Evaluate(NewInput(o, nil))
	if err != nil || len(vs) != 1 || vs[0].Path != "spec.template.metadata.labels" {
		t.Fatalf("pod scope: %+v, %v", vs, err)
	}
	obj, err := Compile(&Guardrail{Scope: ScopeObject, Expression: "object.metadata.name == params.data.name", Message: "wrong name", FieldPath: "metadata.name"})
	if err != nil {
		t.Fatal(err)
	}
	if !obj.UsesParams() || pod.UsesParams() {
		t.Errorf("UsesParams: object %v pod %v", obj.UsesParams(), pod.UsesParams())
	}
	vs, err = obj.Evaluate(NewInput(o, map[string]any{"data": map[string]any{"name": "other"}}))
	if err != nil || len(vs) != 1 || vs[0].Path != "metadata.name" {
		t.Fatalf("object scope: %+v, %v", vs, err)
	}
	// Objects without a pod spec are not judged by pod and container scopes.
	ns := mustObject(t, map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "x"}})
	if vs, err := pod.Evaluate(NewInput(ns, nil)); err != nil || len(vs) != 0 {
		t.Fatalf("namespace: %+v, %v", vs, err)
	}
}

// A field of an unexpected type makes the expression fail at run time: that
// is an error for the caller (the tool could not judge), never a panic, and
// the other containers are still judged.
func TestEvaluateRuntimeError(t *testing.T) {
	prg, err := Compile(&Guardrail{Scope: ScopeContainer, Expression: "container.image.endsWith(':1')", Message: "m", FieldPath: "image"})
	if err != nil {
		t.Fatal(err)
	}
	o := mustObject(t, deployment([]any{
		map[string]any{"name": "typo", "image": int64(5)},
		map[string]any{"name": "ok", "image": "x:2"},
	}, nil))
	vs, err := prg.Evaluate(NewInput(o, nil))
	if err == nil || !strings.Contains(err.Error(), `container "typo"`) {
		t.Fatalf("want an error naming the container, got %v", err)
	}
	if len(vs) != 1 || vs[0].Container != "ok" {
		t.Errorf("the other container must still be judged: %+v", vs)
	}
}

func TestMessageExpressionFallsBack(t *testing.T) {
	prg, err := Compile(&Guardrail{Scope: ScopeObject, Expression: "false", Message: "static", MessageExpression: "'x' + object.missing.field"})
	if err != nil {
		t.Fatal(err)
	}
	o := mustObject(t, map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "x"}})
	vs, err := prg.Evaluate(NewInput(o, nil))
	if err != nil || len(vs) != 1 || vs[0].Message != "static" {
		t.Fatalf("got %+v, %v", vs, err)
	}
}

func TestParamsData(t *testing.T) {
	got := ParamsData([]string{" ghcr.io/acme/ ", "", "index.docker.io/library", "registry-1.docker.io"}, []string{"team", " owner "}, " data-classification ")
	want := map[string]any{
		ParamAllowedRegistries:     "ghcr.io/acme,docker.io/library,docker.io",
		ParamOwnerKeys:             "team,owner",
		ParamDataClassificationKey: "data-classification",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestJoinPath(t *testing.T) {
	tests := []struct {
		scope           Scope
		base, rel, want string
	}{
		{ScopePod, "spec.template.spec", "metadata.labels", "spec.template.metadata.labels"},
		{ScopePod, "spec", "metadata.labels", "metadata.labels"},
		{ScopePod, "spec", "serviceAccountName", "spec.serviceAccountName"},
		{ScopeContainer, "spec.containers[0]", "env[2]", "spec.containers[0].env[2]"},
		{ScopeContainer, "spec.containers[0]", "", "spec.containers[0]"},
		{ScopeObject, "", "spec.tls", "spec.tls"},
	}
	for _, tt := range tests {
		if got := joinPath(tt.scope, tt.base, tt.rel); got != tt.want {
			t.Errorf("joinPath(%s, %q, %q) = %q, want %q", tt.scope, tt.base, tt.rel, got, tt.want)
		}
	}
}
