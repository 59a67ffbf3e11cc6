package checks

import (
	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/finding"
)

// imageNotPinned inspects the image of every container, init container and
// ephemeral container. Allowed: a reference ending in @sha256:<64 lowercase
// hex digits>.
var imageNotPinned = &Check{
	ID:       "image-not-pinned",
	Category: finding.CategoryImage,
	Severity: finding.SeverityLow,
	Summary:  "Image is not pinned by digest",
	Doc: "Inspects image of containers, initContainers and ephemeralContainers. Allowed: a " +
		"reference pinned by digest, ending in @sha256: and 64 lowercase hex digits. A tag can be " +
		"moved to other content at any time; a digest cannot.",
	Remediation: "Pin the image by digest (keep the tag for readers):\n\n" +
		"    image: ghcr.io/acme/api:1.4.2@sha256:<digest>\n\n" +
		"Resolve the digest with `crane digest ghcr.io/acme/api:1.4.2` or let your CI write it.",
	References: []string{refNSAImages, "MITRE ATT&CK T1525 Implant Internal Image"},
	Engine:     EngineCEL,
	Guardrail: &cel.Guardrail{
		Scope:             cel.ScopeContainer,
		Expression:        celNoImage + ` || container.image.matches('@sha256:[a-f0-9]{64}$')`,
		MessageExpression: celImageRef + ` + ' is not pinned by a sha256 digest'`,
		FieldPath:         "image",
	},
}
