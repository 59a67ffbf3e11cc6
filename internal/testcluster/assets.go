package testcluster

import "github.com/kharden/kharden/internal/clusterbin"

// binaries are the programs a cluster needs.
var binaries = clusterbin.Binaries

// Assets returns the directory holding kube-apiserver, etcd and
// kube-controller-manager (see clusterbin.Assets); ok is false when they are
// missing.
func Assets() (dir string, ok bool) { return clusterbin.Assets() }

func cacheDir() string { return clusterbin.CacheDir() }
