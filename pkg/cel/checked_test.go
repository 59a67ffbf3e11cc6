package cel

import (
	"reflect"
	"testing"
)

// TestCheckedExpressionsRoundTrip compiles guardrails once from source and
// once from their registered checked expressions, and requires the second
// path to be taken and to give the same violations.
func TestCheckedExpressionsRoundTrip(t *testing.T) {
	g := &Guardrail{
		Scope:                ScopeContainer,
		Expression:           "container.?securityContext.?readOnlyRootFilesystem.orValue(false) == true && 'x' in ['x', 'y']",
		MessageExpression:    "'container ' + container.name + ' is writable (' + params.data.note.split(',').join('/') + ')'",
		FieldPathsExpression: "['securityContext.readOnlyRootFilesystem'].filter(p, true)",
	}
	o := mustObject(t, deployment(
		[]any{map[string]any{"name": "a", "securityContext": map[string]any{"readOnlyRootFilesystem": true}}, map[string]any{"name": "b"}},
		[]any{map[string]any{"name": "init"}},
	))
	params := map[string]any{"data": map[string]any{"note": "p,q"}}

	fromSource, err := Compile(g)
	if err != nil {
		t.Fatal(err)
	}
	want, err := fromSource.Evaluate(NewInput(o, params))
	if err != nil || len(want) != 2 {
		t.Fatalf("from source: %v, %v", want, err)
	}

	data, err := CheckedExpressions([]*Guardrail{g})
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 3 {
		t.Fatalf("checked expressions = %d, want 3", len(data))
	}
	RegisterChecked(data)
	for _, e := range []string{g.Expression, g.MessageExpression, g.FieldPathsExpression} {
		if precompiled(e) == nil {
			t.Fatalf("registered expression not served precompiled: %s", e)
		}
	}
	fromChecked, err := Compile(g)
	if err != nil {
		t.Fatal(err)
	}
	got, err := fromChecked.Evaluate(NewInput(o, params))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("precompiled violations = %+v, want %+v", got, want)
	}

	// A registered expression still has to fit the scope: the checked AST
	// is verified like a fresh compilation.
	bad := &Guardrail{Scope: ScopeObject, Expression: g.Expression, Message: "m"}
	if _, err := Compile(bad); err == nil {
		t.Fatal("container expression accepted in object scope")
	}
	// An unknown or corrupt entry falls back to compiling from source.
	RegisterChecked(map[string]string{"object.kind == 'Pod'": "not base64!"})
	if precompiled("object.kind == 'Pod'") != nil {
		t.Fatal("corrupt entry decoded")
	}
	if _, err := Compile(&Guardrail{Scope: ScopeObject, Expression: "object.kind == 'Pod'", Message: "m"}); err != nil {
		t.Fatal(err)
	}
}
