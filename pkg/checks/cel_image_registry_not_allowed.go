package checks

import (
	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/finding"
)

// imageRegistryNotAllowed inspects the image of every container, init
// container and ephemeral container against params.data.allowedRegistries
// (from allowedRegistries in .kharden.yaml). Allowed: any image when the
// list is empty; otherwise an image whose normalised registry/repository
// ("nginx" is docker.io/library/nginx) equals an entry or starts with an
// entry followed by '/'.
var imageRegistryNotAllowed = &Check{
	ID:       "image-registry-not-allowed",
	Category: finding.CategoryImage,
	Severity: finding.SeverityHigh,
	Summary:  "Image comes from a registry that is not allowed",
	Doc: "Inspects image of containers, initContainers and ephemeralContainers, only when " +
		"allowedRegistries is configured. Entries are registry hosts (ghcr.io, " +
		"registry.internal:5000) or repository prefixes (ghcr.io/acme, docker.io/library); an " +
		"image without a registry is on docker.io, and a single-name Docker Hub image is under " +
		"docker.io/library. Prefixes match whole path components: ghcr.io/acme does not allow " +
		"ghcr.io/acme-evil.",
	Remediation: "Pull the image through an allowed registry (mirror it there), or add its " +
		"registry to .kharden.yaml after review:\n\n" +
		"    allowedRegistries:\n      - ghcr.io/acme\n      - registry.internal:5000\n",
	References: []string{"CIS Kubernetes Benchmark 5.5.1", refNSAImages, "MITRE ATT&CK T1525 Implant Internal Image"},
	Engine:     EngineCEL,
	Guardrail: &cel.Guardrail{
		Scope: cel.ScopeContainer,
		// The nested single-element .all() calls bind names, as CEL has no
		// let in the API server's environment.
		Expression: `params.?data.?allowedRegistries.orValue('') == '' || ` + celNoImage + ` ||
  [container.image.split('@')[0]].all(n,
  [n.lastIndexOf(':') > n.lastIndexOf('/') ? n.substring(0, n.lastIndexOf(':')) : n].all(repo,
  [repo.split('/')[0]].all(first,
  [repo.contains('/') && (first == 'localhost' || first.contains('.') || first.contains(':'))].all(hasHost,
  [!hasHost || first in ['index.docker.io', 'registry-1.docker.io'] ? 'docker.io' : first].all(registry,
  [hasHost ? repo.substring(first.size() + 1) : repo].all(path,
  [registry + '/' + (registry == 'docker.io' && !path.contains('/') ? 'library/' + path : path)].all(full,
    params.data.allowedRegistries.split(',').exists(e, e != '' && (full == e || full.startsWith(e + '/'))))))))))`,
		MessageExpression: celImageRef + ` + ' is not from an allowed registry (' +
  params.data.allowedRegistries.split(',').join(', ') + ')'`,
		FieldPath: "image",
	},
}
