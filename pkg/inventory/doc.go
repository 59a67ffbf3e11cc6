// Loading sources
//
// Load reads each path of LoadOptions.Paths:
//
//   - "-" is standard input, named "<stdin>".
//   - A file named explicitly is read whatever its extension, as kubectl -f
//     does; a .tgz or .tar.gz file is a packaged Helm chart.
//   - A directory holding Chart.yaml is a Helm chart and is rendered as
//     `helm template` would; a directory holding kustomization.yaml,
//     kustomization.yml or Kustomization is built with kustomize (krusty).
//   - Any other directory is walked recursively in sorted order: .yaml, .yml
//     and .json files are read, other files and .git directories skipped.
//     A chart directory met during the walk is rendered (its templates are
//     never read as YAML). A kustomization directory met during the walk is
//     built, and the walk does not enter it (its patches and raw resources
//     are not read as objects), unless another kustomization of the same
//     walk uses it as a resource, base or component: its objects then come
//     through that overlay only. Resource files outside a kustomization's
//     directory that it uses are not read raw either.
//   - Symlinks to files and directories are followed. A directory reached
//     again from inside itself (a loop) gets a one-line warning and is not
//     entered; one reached again through another link is read once.
//
// Problems are Diagnostics, never a failed run. Errors: a path that does not
// exist, a YAML syntax error (the file's other documents are still read), an
// alias bomb, a document over MaxDocumentBytes, a chart that does not render,
// a kustomization that does not build, and a directory or explicitly named
// file that yields no object ("no Kubernetes objects found in DIR").
// Warnings: a binary file met in a walk (an error when named explicitly), a
// document that is not a Kubernetes object (a values file, a CI workflow)
// met in a walk or beside objects in a file (an error when it is all an
// explicitly named file holds), duplicate keys, symlink loops, broken links.
// No diagnostic ever quotes a value of the input.
package inventory
