package access_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kharden/kharden/pkg/access"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/scan"
)

// FuzzRBACSubject: any subject argument parses or fails with an error,
// never a panic; what parses prints back to itself.
func FuzzRBACSubject(f *testing.F) {
	for _, s := range []string{"alice", "User:alice", "Group:devs", "sa:shop/ci", "ServiceAccount:shop/ci",
		"system:serviceaccount:shop:ci", "Role:x", "user:", "sa:/", "oidc:a@b", "system:anonymous"} {
		f.Add(s, "")
		f.Add(s, "devs")
	}
	f.Fuzz(func(t *testing.T, s, group string) {
		var groups []string
		if group != "" {
			groups = []string{group}
		}
		sub, err := access.ParseSubject(s, groups)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if sub.Name == "" || (sub.Kind == "ServiceAccount") != (sub.Namespace != "") {
			t.Fatalf("%q parsed to %+v", s, sub)
		}
		if strings.ContainsFunc(sub.Name+sub.Namespace, unicode.IsControl) {
			t.Fatalf("control characters accepted: %q", s)
		}
		if strings.Contains(sub.Namespace, "/") {
			return
		}
		again, err := access.ParseSubject(sub.String(), nil)
		if err != nil || again.Kind != sub.Kind || again.Name != sub.Name || again.Namespace != sub.Namespace {
			t.Fatalf("%q -> %q -> %+v, %v", s, sub.String(), again, err)
		}
	})
}

// FuzzRBACQuestion: any question is answered or refused with an error,
// never a panic; Validate refuses exactly what WhoCan refuses.
func FuzzRBACQuestion(f *testing.F) {
	f.Add("get", "secrets", "", "shop", "", false)
	f.Add("create", "deployments.apps", "", "", "web", true)
	f.Add("get", "pods/log", "", "shop", "p", false)
	f.Add("get", "/healthz", "", "", "", false)
	f.Add("list", "deploy", "apps", "billing", "", false)
	f.Add("*", "*", "*", "", "", true)
	f.Add("get", "nodes", "", "shop", "", true)
	inv := fuzzInventory(f, "testdata/rbac/cluster.yaml")
	res := access.FileResources(inv)
	f.Fuzz(func(t *testing.T, verb, resource, group, ns, name string, all bool) {
		q := access.Question{Verb: verb, Resource: resource, APIGroup: group, Namespace: ns, Name: name, AllNamespaces: all}
		verr := q.Validate()
		a, err := access.WhoCan(inv, q, res)
		if (verr == nil) != (err == nil) {
			t.Fatalf("Validate %v, WhoCan %v", verr, err)
		}
		if err != nil {
			return
		}
		if len(a.Subjects) == 0 || !a.Subjects[0].Privileged {
			t.Fatalf("system:masters is not first: %+v", a.Subjects)
		}
		checkRendered(t, a)
	})
}

// FuzzRBACAnswers: any input document gives answers, a review and RBAC
// risks without a panic, and tables that cannot drive a terminal.
func FuzzRBACAnswers(f *testing.F) {
	for _, p := range []string{"testdata/rbac/cluster.yaml", "testdata/rbac/malformed.yaml", "testdata/rbac/risky.yaml", "testdata/review/cluster.yaml"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("kind: ClusterRoleBinding\napiVersion: rbac.authorization.k8s.io/v1\nmetadata: {name: \"\\e[2J\"}\nsubjects: [{kind: User, name: \"\\u202e\"}]\nroleRef: {kind: ClusterRole, name: x}\n"))
	cfg := &config.Config{BreakGlassGroups: []string{"oncall"}}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, doc []byte) {
		inv, err := inventory.Load(context.Background(), inventory.LoadOptions{Paths: []string{"-"}, Stdin: bytes.NewReader(doc), DefaultNamespace: "default"})
		if err != nil {
			t.Fatal(err)
		}
		res := access.FileResources(inv)
		for _, q := range []access.Question{
			{Verb: "get", Resource: "secrets", Namespace: "shop"},
			{Verb: "create", Resource: "pods", AllNamespaces: true},
			{Verb: "get", Resource: "/healthz"},
		} {
			a, err := access.WhoCan(inv, q, res)
			if err != nil {
				t.Fatal(err)
			}
			checkRendered(t, a)
		}
		for _, s := range []string{"alice", "Group:devs", "sa:shop/ci"} {
			sub, err := access.ParseSubject(s, nil)
			if err != nil {
				t.Fatal(err)
			}
			a, err := access.Can(inv, sub, "")
			if err != nil {
				t.Fatal(err)
			}
			checkRendered(t, a)
		}
		checkRendered(t, access.ReviewAccess(inv, cfg, now))
		if _, err := access.RBACRisks(inv, scan.Options{Now: func() time.Time { return now }}); err != nil {
			t.Fatal(err)
		}
	})
}

// checkRendered renders an answer as a table and as JSON: both work, and
// the table is valid UTF-8 without control characters (newlines aside) or
// bidirectional overrides.
func checkRendered(t *testing.T, v interface{ WriteTable(io.Writer) error }) {
	t.Helper()
	var b bytes.Buffer
	if err := v.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(b.Bytes()) {
		t.Fatalf("table is not UTF-8:\n%q", b.String())
	}
	for _, r := range b.String() {
		if (r != '\n' && unicode.IsControl(r)) || unicode.Is(unicode.Bidi_Control, r) {
			t.Fatalf("table holds %U:\n%q", r, b.String())
		}
	}
	if _, err := json.Marshal(v); err != nil {
		t.Fatal(err)
	}
}

func fuzzInventory(f *testing.F, path string) *inventory.Inventory {
	f.Helper()
	inv, err := inventory.Load(context.Background(), inventory.LoadOptions{Paths: []string{path}, DefaultNamespace: "default"})
	if err != nil {
		f.Fatal(err)
	}
	return inv
}
