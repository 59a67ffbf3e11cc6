// Package clusterbin finds the cluster binaries (kube-apiserver, etcd,
// kube-controller-manager) that hack/cluster-binaries.sh builds. It is small
// on purpose: the kharden binary (kharden lab) and the tests
// (internal/testcluster) share it without the CLI linking envtest.
package clusterbin

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Binaries are the programs a cluster needs; Assets only accepts a
// directory holding all of them.
var Binaries = []string{"kube-apiserver", "etcd", "kube-controller-manager"}

// Assets returns the directory holding kube-apiserver, etcd and
// kube-controller-manager: $KUBEBUILDER_ASSETS, else the newest build under
// the cache directory hack/cluster-binaries.sh writes to
// ($KHARDEN_CACHE, else $XDG_CACHE_HOME/kharden, else ~/.cache/kharden;
// builds are in cluster/kubernetes-*/). ok is false when they are missing.
func Assets() (dir string, ok bool) {
	if d := os.Getenv("KUBEBUILDER_ASSETS"); d != "" && hasBinaries(d) {
		return d, true
	}
	// cluster-binaries.sh builds into <dir>.tmp and renames it when done.
	matches, _ := filepath.Glob(filepath.Join(CacheDir(), "cluster", "kubernetes-*"))
	var newest time.Time
	for _, m := range matches {
		if strings.HasSuffix(m, ".tmp") || !hasBinaries(m) {
			continue
		}
		fi, err := os.Stat(m)
		if err != nil {
			continue
		}
		if dir == "" || fi.ModTime().After(newest) {
			dir, newest = m, fi.ModTime()
		}
	}
	return dir, dir != ""
}

// CacheDir mirrors hack/cluster-binaries.sh: an empty variable counts as
// unset, as with the shell's ${VAR:-default}.
func CacheDir() string {
	if d := os.Getenv("KHARDEN_CACHE"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "kharden")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.Getenv("HOME")
	}
	return filepath.Join(home, ".cache", "kharden")
}

// hasBinaries reports whether dir holds every binary as an executable
// regular file.
func hasBinaries(dir string) bool {
	for _, b := range Binaries {
		fi, err := os.Stat(filepath.Join(dir, b))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}
