package cel

import (
	"fmt"
	"sort"
	"testing"

	celgo "github.com/google/cel-go/cel"
)

// envSignature lists everything of an environment that decides what an
// expression means: every function overload with its signature, the macros,
// the variables, the libraries with their versions and the features.
func envSignature(t *testing.T, env *celgo.Env) []string {
	t.Helper()
	var out []string
	for name, fn := range env.Functions() {
		for _, o := range fn.OverloadDecls() {
			sig := fmt.Sprintf("func %s overload %s member=%v args=", name, o.ID(), o.IsMemberFunction())
			for _, a := range o.ArgTypes() {
				sig += a.String() + ","
			}
			sig += " result=" + o.ResultType().String()
			sig += fmt.Sprintf(" bound=%v", o.HasBinding())
			out = append(out, sig)
		}
	}
	for _, m := range env.Macros() {
		out = append(out, "macro "+m.MacroKey())
	}
	for _, v := range env.Variables() {
		out = append(out, "var "+v.Name()+" "+v.Type().String())
	}
	// Libraries with their versions (a version can change behaviour without
	// changing a declaration) and the language features.
	conf, err := env.ToConfig("guardrails")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range conf.Extensions {
		out = append(out, fmt.Sprintf("library %s version %s", e.Name, e.Version))
	}
	for _, f := range conf.Features {
		out = append(out, fmt.Sprintf("feature %s %v", f.Name, f.Enabled))
	}
	sort.Strings(out)
	return out
}

// TestProgramEnvMatchesVAPEnv proves that programs are planned with exactly
// the functions, overloads, macros and variables of the environment they are
// type-checked in, which is the API server's ValidatingAdmissionPolicy
// environment at CompatibilityVersion (see progenv.go).
func TestProgramEnvMatchesVAPEnv(t *testing.T) {
	vap, err := baseEnv()
	if err != nil {
		t.Fatal(err)
	}
	prog, err := programEnv()
	if err != nil {
		t.Fatal(err)
	}
	want, got := envSignature(t, vap), envSignature(t, prog)
	if len(want) < 100 {
		t.Fatalf("VAP environment has only %d declarations; the comparison would prove nothing", len(want))
	}
	inWant := map[string]bool{}
	for _, s := range want {
		inWant[s] = true
	}
	inGot := map[string]bool{}
	for _, s := range got {
		inGot[s] = true
		if !inWant[s] {
			t.Errorf("program environment has %s, the VAP environment does not", s)
		}
	}
	for _, s := range want {
		if !inGot[s] {
			t.Errorf("VAP environment has %s, the program environment does not", s)
		}
	}
}
