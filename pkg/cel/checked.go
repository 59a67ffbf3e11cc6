package cel

import (
	"encoding/base64"
	"fmt"
	"sort"
	"sync"

	celgo "github.com/google/cel-go/cel"
	"github.com/google/cel-go/common"
	exprpb "google.golang.org/genproto/googleapis/api/expr/v1alpha1"
	"google.golang.org/protobuf/proto"
)

// Parsing and type-checking dominate start-up (ANTLR builds its parse tables
// on the first expressions of a process): about 40 ms for the catalogue in a
// cold process. A caller whose guardrails are fixed at build time can
// therefore hand over the checked expressions it produced earlier with
// CheckedExpressions, and Compile then only decodes and plans them.
//
// A checked expression is keyed by its exact source text, so an edited
// expression simply misses and is compiled from source; scope and
// result type are still verified on the decoded AST, and anything that fails
// to decode or plan is compiled from source, whose errors are the ones
// reported. Whoever registers checked expressions must test that they equal
// a fresh compilation (pkg/checks does), so a library upgrade that changes
// the checker's output cannot go unnoticed.

var (
	checkedMu sync.RWMutex
	checked   = map[string]string{} // expression text -> base64 CheckedExpr
)

// RegisterChecked adds checked expressions, as produced by
// CheckedExpressions, for Compile to use. Call it before compiling (an init
// function); it is safe for concurrent use.
func RegisterChecked(data map[string]string) {
	checkedMu.Lock()
	defer checkedMu.Unlock()
	for k, v := range data {
		checked[k] = v
	}
}

// CheckedExpressions parses and type-checks every expression of the given
// guardrails in the guardrail environment and returns them keyed for
// RegisterChecked, values base64-encoded google.api.expr CheckedExpr
// messages (deterministic encoding, so the result can be kept in a file and
// compared).
func CheckedExpressions(gs []*Guardrail) (map[string]string, error) {
	env, err := baseEnv()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, g := range gs {
		for _, expr := range []string{g.Expression, g.MessageExpression, g.FieldPathsExpression} {
			if expr == "" {
				continue
			}
			ast, iss := env.Compile(expr)
			if iss.Err() != nil {
				return nil, fmt.Errorf("expression does not compile:\n%s", iss.Err())
			}
			ce, err := celgo.AstToCheckedExpr(ast)
			if err != nil {
				return nil, err
			}
			b, err := proto.MarshalOptions{Deterministic: true}.Marshal(ce)
			if err != nil {
				return nil, err
			}
			out[expr] = base64.StdEncoding.EncodeToString(b)
		}
	}
	return out, nil
}

// SortedKeys returns the keys of a CheckedExpressions map in order, for
// writing it out reproducibly.
func SortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// precompiled returns the registered checked AST of expr, or nil.
func precompiled(expr string) *celgo.Ast {
	checkedMu.RLock()
	enc, ok := checked[expr]
	checkedMu.RUnlock()
	if !ok {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil
	}
	ce := &exprpb.CheckedExpr{}
	if err := proto.Unmarshal(b, ce); err != nil {
		return nil
	}
	if ce.GetSourceInfo() == nil || ce.GetExpr() == nil {
		return nil
	}
	ast, err := celgo.CheckedExprToAstWithSource(ce, common.NewTextSource(expr))
	if err != nil || !ast.IsChecked() {
		return nil
	}
	return ast
}
