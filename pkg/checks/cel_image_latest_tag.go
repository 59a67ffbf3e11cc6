package checks

import (
	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/finding"
)

// imageLatestTag inspects the image of every container, init container and
// ephemeral container. Not allowed: the tag "latest" (even with a digest: the
// tag misleads readers about what runs), or no tag and no digest (the runtime
// pulls "latest"). A registry port ("registry:5000/app") is not a tag.
var imageLatestTag = &Check{
	ID:       "image-latest-tag",
	Category: finding.CategoryImage,
	Severity: finding.SeverityMedium,
	Summary:  "Image uses the latest tag or no tag",
	Doc: "Inspects image of containers, initContainers and ephemeralContainers. Not allowed: " +
		"the tag latest, or neither a tag nor a digest (which pulls latest). A registry host:port " +
		"is not a tag. What runs then changes with every push and every node's pull, so rollbacks " +
		"and audits cannot tell which code ran.",
	Remediation: "Reference a versioned tag, ideally with its digest:\n\n" +
		"    image: ghcr.io/acme/api:1.4.2@sha256:<digest>\n",
	References: []string{refNSAImages, "MITRE ATT&CK T1525 Implant Internal Image"},
	Engine:     EngineCEL,
	Guardrail: &cel.Guardrail{
		Scope: cel.ScopeContainer,
		Expression: celNoImage + ` ||
  !(container.image.matches('^[^@]*:latest(@.*)?$') ||
    (!container.image.contains('@') && !container.image.matches(':[^/]*$')))`,
		MessageExpression: celImageRef + ` + (container.image.matches('^[^@]*:latest(@.*)?$') ?
  ' uses the latest tag' : ' has no tag, so it runs whatever latest points to')`,
		FieldPath: "image",
	},
}
