// Package access answers who can reach a cluster and what they may do
// there, for the identity commands:
//
//   - rbac_*.go: `kharden rbac who-can | can | risks`, answers of the
//     effective-permission index (pkg/analysis/rbac) with the binding, role
//     and rule behind each, as tables and JSON;
//   - review*.go: `kharden access review`, the holders of cluster-admin
//     rights, the break-glass check and the coverage of groups by the style
//     of rights they hold;
//   - kubeconfig*.go: `kharden access kubeconfig`, the credentials and
//     server settings kept in kubeconfig files.
package access
