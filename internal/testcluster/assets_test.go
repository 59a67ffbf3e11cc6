package testcluster

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// fakeBuild makes a directory holding the binaries (empty executables),
// or only some of them.
func fakeBuild(t *testing.T, dir string, names ...string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestAssets(t *testing.T) {
	root := t.TempDir()
	all := binaries
	complete := fakeBuild(t, filepath.Join(root, "assets"), all...)
	partial := fakeBuild(t, filepath.Join(root, "partial"), "kube-apiserver", "etcd")

	cache := filepath.Join(root, "cache")
	old := fakeBuild(t, filepath.Join(cache, "cluster", "kubernetes-v1.36.0-etcd-v3.6.0-aaa"), all...)
	newer := fakeBuild(t, filepath.Join(cache, "cluster", "kubernetes-v1.37.2-etcd-v3.7.3-bbb"), all...)
	// An unfinished build (the script renames it when done) and an
	// incomplete one are never chosen, however new.
	building := fakeBuild(t, filepath.Join(cache, "cluster", "kubernetes-v1.38.0-etcd-v3.7.3-ccc.tmp"), all...)
	broken := fakeBuild(t, filepath.Join(cache, "cluster", "kubernetes-v1.38.0-etcd-v3.7.3-ddd"), "etcd")
	now := time.Now()
	for i, d := range []string{old, newer, building, broken} {
		stamp := now.Add(time.Duration(i-4) * time.Hour)
		if err := os.Chtimes(d, stamp, stamp); err != nil {
			t.Fatal(err)
		}
	}
	xdg := filepath.Join(root, "xdg")
	xdgBuild := fakeBuild(t, filepath.Join(xdg, "kharden", "cluster", "kubernetes-v1.37.2-etcd-v3.7.3-eee"), all...)
	home := filepath.Join(root, "home")
	homeBuild := fakeBuild(t, filepath.Join(home, ".cache", "kharden", "cluster", "kubernetes-v1.37.2-etcd-v3.7.3-fff"), all...)

	tests := []struct {
		name                     string
		assets, cache, xdg, home string
		want                     string
	}{
		{name: "KUBEBUILDER_ASSETS", assets: complete, cache: cache, want: complete},
		{name: "incomplete KUBEBUILDER_ASSETS falls back to the cache", assets: partial, cache: cache, want: newer},
		{name: "newest complete build in KHARDEN_CACHE", cache: cache, xdg: xdg, want: newer},
		{name: "XDG_CACHE_HOME", xdg: xdg, home: home, want: xdgBuild},
		{name: "HOME", home: home, want: homeBuild},
		{name: "nothing", home: filepath.Join(root, "nobody"), want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KUBEBUILDER_ASSETS", tt.assets)
			t.Setenv("KHARDEN_CACHE", tt.cache)
			t.Setenv("XDG_CACHE_HOME", tt.xdg)
			t.Setenv("HOME", tt.home)
			got, ok := Assets()
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("Assets() = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

// recorder is a testing.TB whose Skip and Fatal record the message and
// end the goroutine, as the real ones do.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}
func (r *recorder) Skip(args ...any) {
	r.skipped, r.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}
func (r *recorder) Fatal(args ...any) {
	r.failed, r.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}

func TestStartWithoutBinaries(t *testing.T) {
	for _, ci := range []string{"", "true"} {
		t.Run("CI="+ci, func(t *testing.T) {
			empty := t.TempDir()
			t.Setenv("KUBEBUILDER_ASSETS", empty)
			t.Setenv("KHARDEN_CACHE", empty)
			t.Setenv("CI", ci)
			r := &recorder{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				Start(r, Options{})
				t.Error("Start returned without binaries")
			}()
			<-done
			if r.skipped != (ci == "") || r.failed != (ci != "") {
				t.Errorf("skipped=%v failed=%v with CI=%q", r.skipped, r.failed, ci)
			}
			if !strings.Contains(r.msg, "hack/cluster-binaries.sh") {
				t.Errorf("message %q does not say to run hack/cluster-binaries.sh", r.msg)
			}
		})
	}
}
