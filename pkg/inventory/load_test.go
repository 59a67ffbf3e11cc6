package inventory

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// copyTree copies a testdata tree into a temporary directory, where the
// tests add what git cannot hold (.git directories, symlink loops, binary
// files).
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func load(t *testing.T, opts LoadOptions) *Inventory {
	t.Helper()
	inv, err := Load(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// refs lists kind/name@file (file relative to root) in inventory order.
func refs(inv *Inventory, root string) []string {
	var out []string
	for _, o := range inv.Objects {
		f := o.Source.File
		if r, err := filepath.Rel(root, f); err == nil && !strings.HasPrefix(r, "..") {
			f = filepath.ToSlash(r)
		}
		out = append(out, o.Ref.Kind+"/"+o.Ref.Name+"@"+f)
	}
	return out
}

func TestLoadWalk(t *testing.T) {
	root := copyTree(t, filepath.Join("testdata", "walk"))
	write(t, filepath.Join(root, ".git", "config.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-git}\n")
	write(t, filepath.Join(root, "app", "logo.yaml"), "\x89PNG\x00\x00binary")
	write(t, filepath.Join(root, "app", "script.sh"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: not-a-manifest-name}\n")
	if err := os.Symlink(root, filepath.Join(root, "app", "loop")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "app", "deploy.yaml"), filepath.Join(root, "linked.yml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "nowhere"), filepath.Join(root, "broken.yaml")); err != nil {
		t.Fatal(err)
	}

	done := make(chan *Inventory)
	go func() { done <- load(t, LoadOptions{Paths: []string{root}}) }()
	var inv *Inventory
	select {
	case inv = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Load hangs (symlink loop?)")
	}
	want := []string{
		"ConfigMap/api-config@app/config.json",
		"Deployment/api@app/deploy.yaml",
		"ServiceAccount/release-name-tiny@chart/templates/sa.yaml", // rendered, not read raw
		"ServiceAccount/dev-worker@kust/overlay",                   // base comes through the overlay only
		"Deployment/api@linked.yml",
	}
	// kustomize names the file the object came from when it can
	got := refs(inv, root)
	for i := range got {
		if strings.HasPrefix(got[i], "ServiceAccount/dev-worker@") {
			if got[i] != "ServiceAccount/dev-worker@kust/base/sa.yaml" {
				t.Errorf("kustomize source = %s, want kust/base/sa.yaml", got[i])
			}
			got[i] = "ServiceAccount/dev-worker@kust/overlay"
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("objects:\n got %q\nwant %q", got, want)
	}
	var msgs []string
	for _, d := range inv.Diagnostics {
		rel, _ := filepath.Rel(root, d.File)
		lvl := "E"
		if d.Warning {
			lvl = "W"
		}
		msgs = append(msgs, lvl+" "+filepath.ToSlash(rel)+": "+d.Message)
	}
	wantDiags := []string{
		"W app/logo.yaml: " + msgBinary,
		"W app/loop: symlink loop back to " + root + "; not followed",
		"W app/workflow.yaml: " + msgNotObject,
		"W broken.yaml: broken symlink; skipped",
	}
	if !reflect.DeepEqual(msgs, wantDiags) {
		t.Errorf("diagnostics:\n got %q\nwant %q", msgs, wantDiags)
	}
	if len(inv.Errors()) != 0 {
		t.Errorf("errors: %v", inv.Errors())
	}
}

// The order of objects does not depend on the number of workers.
func TestLoadDeterministic(t *testing.T) {
	root := filepath.Join("testdata")
	var first []string
	for _, w := range []int{1, 2, 8} {
		inv := load(t, LoadOptions{Paths: []string{filepath.Join(root, "tricky"), filepath.Join(root, "walk")}, Workers: w})
		got := refs(inv, root)
		if first == nil {
			first = got
			continue
		}
		if !reflect.DeepEqual(got, first) {
			t.Errorf("workers %d: order differs:\n%q\n%q", w, got, first)
		}
	}
}

func TestLoadPaths(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "manifest.txt"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: txt}\n")
	write(t, filepath.Join(dir, "values.yaml"), "replicas: 3\n")
	write(t, filepath.Join(dir, "mixed.yaml"), "replicas: 3\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: mixed}\n")
	write(t, filepath.Join(dir, "empty.yaml"), "# nothing\n")
	write(t, filepath.Join(dir, "bin.yaml"), "\x00\x01")
	write(t, filepath.Join(dir, "nothing", "notes.md"), "hello")
	tests := []struct {
		name      string
		opts      LoadOptions
		wantObjs  int
		wantDiags []string // "E message" / "W message", files left out
	}{
		{name: "explicit file of any extension", opts: LoadOptions{Paths: []string{filepath.Join(dir, "manifest.txt")}}, wantObjs: 1},
		{name: "explicit non-object file is an error", opts: LoadOptions{Paths: []string{filepath.Join(dir, "values.yaml")}}, wantDiags: []string{"E " + msgNotObject}},
		{name: "non-object beside objects is a warning", opts: LoadOptions{Paths: []string{filepath.Join(dir, "mixed.yaml")}}, wantObjs: 1, wantDiags: []string{"W " + msgNotObject}},
		{name: "explicit empty file", opts: LoadOptions{Paths: []string{filepath.Join(dir, "empty.yaml")}}, wantDiags: []string{"E no Kubernetes objects found in " + filepath.Join(dir, "empty.yaml")}},
		{name: "explicit binary file is an error", opts: LoadOptions{Paths: []string{filepath.Join(dir, "bin.yaml")}}, wantDiags: []string{"E " + msgBinary}},
		{name: "missing path", opts: LoadOptions{Paths: []string{filepath.Join(dir, "nope.yaml")}}, wantDiags: []string{"E cannot read: no such file or directory"}},
		{name: "directory without objects", opts: LoadOptions{Paths: []string{filepath.Join(dir, "nothing")}}, wantDiags: []string{"E no Kubernetes objects found in " + filepath.Join(dir, "nothing")}},
		{name: "stdin", opts: LoadOptions{Paths: []string{"-"}, Stdin: strings.NewReader("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n")}, wantObjs: 1},
		{name: "no stdin", opts: LoadOptions{Paths: []string{"-"}}, wantDiags: []string{"E cannot read: no standard input available"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := load(t, tt.opts)
			if len(inv.Objects) != tt.wantObjs {
				t.Errorf("objects = %d, want %d", len(inv.Objects), tt.wantObjs)
			}
			var got []string
			for _, d := range inv.Diagnostics {
				lvl := "E "
				if d.Warning {
					lvl = "W "
				}
				got = append(got, lvl+d.Message)
			}
			if !reflect.DeepEqual(got, tt.wantDiags) {
				t.Errorf("diagnostics = %q, want %q", got, tt.wantDiags)
			}
		})
	}
}

func TestLoadDefaultNamespaceAndLines(t *testing.T) {
	inv := load(t, LoadOptions{Paths: []string{filepath.Join("testdata", "tricky", "removed-apis.yaml")}, DefaultNamespace: "team-a"})
	for _, o := range inv.Objects {
		if IsClusterScoped(o.GK) != (o.Ref.Namespace == "") {
			t.Errorf("%s/%s namespace %q", o.Ref.Kind, o.Ref.Name, o.Ref.Namespace)
		}
	}
	line, _, ok := inv.Objects[1].FieldPosition("spec.jobTemplate.spec.template.spec.containers[0].image")
	if !ok || line != 23 {
		t.Errorf("image line = %d, want 23", line)
	}
}

func TestLoadCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Load(ctx, LoadOptions{Paths: []string{"testdata"}}); err == nil {
		t.Error("no error on a cancelled context")
	}
}

// TestWalkSkipsKhardenConfig: the .kharden.yaml beside the manifests is
// configuration, not a manifest, and gets no "not a Kubernetes object" note.
func TestWalkSkipsKhardenConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".kharden.yaml"), []byte("allowedRegistries: [ghcr.io/acme]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cm.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inv, err := Load(context.Background(), LoadOptions{Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Objects) != 1 || len(inv.Diagnostics) != 0 {
		t.Fatalf("objects %d, diagnostics %v", len(inv.Objects), inv.Diagnostics)
	}
}
