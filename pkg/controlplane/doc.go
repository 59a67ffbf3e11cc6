// Package controlplane checks the configuration of a cluster's base: the
// static pods of a control-plane node (kube-apiserver, etcd), the files their
// flags name (EncryptionConfiguration, audit policy, authentication and
// authorization configuration) and the kubelet's configuration. It reads a
// node's filesystem, or a copy of it under a root directory, and never
// prints the content of the secrets those files hold.
package controlplane
