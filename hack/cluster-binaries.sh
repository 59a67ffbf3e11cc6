#!/usr/bin/env bash
# Builds the cluster binaries the tests and `kharden lab` run — kube-apiserver,
# kube-controller-manager (k8s.io/kubernetes with its staging modules replaced
# by the published k8s.io/* modules) and etcd (go.etcd.io/etcd/server/v3) —
# from the Go module proxy, into a cache directory keyed by version. A second
# run is a no-op. Prints the directory (use it as KUBEBUILDER_ASSETS).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tools="$here/tools"
k8s_version="$(awk '$1=="k8s.io/kubernetes"{print $2}' "$tools/go.mod" | head -1)"
etcd_version="$(awk '$1=="go.etcd.io/etcd/server/v3"{print $2}' "$tools/go.mod" | head -1)"
# Bump recipe when the build commands below change what they produce.
recipe=1
sum="$( (echo "recipe $recipe"; cat "$tools/go.mod" "$tools/go.sum" "$tools/cmd/etcd/main.go") | sha256sum | cut -c1-12)"
cache="${KHARDEN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kharden}"
out="$cache/cluster/kubernetes-$k8s_version-etcd-$etcd_version-$sum"

if [ -x "$out/kube-apiserver" ] && [ -x "$out/kube-controller-manager" ] && [ -x "$out/etcd" ]; then
  echo "$out"
  exit 0
fi
mkdir -p "$out.tmp"
minor="${k8s_version#v1.}"; minor="${minor%%.*}"
ldflags="-s -w \
 -X k8s.io/component-base/version.gitVersion=$k8s_version \
 -X k8s.io/component-base/version.gitMajor=1 \
 -X k8s.io/component-base/version.gitMinor=$minor \
 -X k8s.io/component-base/version.gitTreeState=clean \
 -X k8s.io/client-go/pkg/version.gitVersion=$k8s_version \
 -X k8s.io/client-go/pkg/version.gitMajor=1 \
 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
echo "building kube-apiserver, kube-controller-manager $k8s_version and etcd $etcd_version into $out (a few minutes, once)" >&2
cd "$tools"
export GOFLAGS="-buildvcs=false" CGO_ENABLED=0
go build -trimpath -ldflags "$ldflags" -o "$out.tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
go build -trimpath -ldflags "$ldflags" -o "$out.tmp/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager
go build -trimpath -ldflags "-s -w" -o "$out.tmp/etcd" ./cmd/etcd
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out"
