package report

import (
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// Fixture rules, as the scan would take them from the catalogue.
var (
	rulePrivileged = Rule{ID: "privileged-container", Category: finding.CategoryWorkload,
		Severity: finding.SeverityCritical, Level: finding.LevelBaseline, Engine: "pss",
		Summary:     "Containers must not run privileged",
		Doc:         "Inspects securityContext.privileged of every container, init container and ephemeral container. Allowed: unset or false.",
		Remediation: "Remove securityContext.privileged or set it to false; grant only the capabilities the process needs.",
		References:  []string{"PSS baseline: Privileged Containers", "CIS 5.2.2", "NSA/CISA: Pod security"}}
	ruleRunAsRoot = Rule{ID: "run-as-root", Category: finding.CategoryWorkload,
		Severity: finding.SeverityHigh, Level: finding.LevelRestricted, Engine: "pss",
		Summary: "Containers must run as a non-root user",
		Doc:     "Inspects runAsNonRoot and runAsUser at pod and container level. Allowed: runAsNonRoot true and runAsUser not 0.",
		Remediation: "Build the image with a non-root USER and require it in the pod:\n\n" +
			"    spec:\n      securityContext:\n        runAsNonRoot: true\n        runAsUser: 10001\n\n" +
			"Remove runAsUser: 0 wherever it is set.\n",
		References: []string{"PSS restricted: Running as Non-root", "CIS 5.2.6"}}
	ruleLatest = Rule{ID: "image-latest-tag", Category: finding.CategoryImage,
		Severity: finding.SeverityHigh, Engine: "cel",
		Summary:     "Images must not use the latest tag or no tag",
		Doc:         "Inspects the image of every container. Allowed: an explicit tag other than latest, or a digest.",
		Remediation: "Pin the image to a released version tag, ideally with its digest.",
		References:  []string{"NSA/CISA: Image scanning"}}
	ruleNotPinned = Rule{ID: "image-not-pinned", Category: finding.CategoryImage,
		Severity: finding.SeverityLow, Engine: "cel",
		Summary:     "Images should be pinned by digest",
		Doc:         "Inspects the image of every container. Allowed: references with @sha256: digests.",
		Remediation: "Reference the image as name:tag@sha256:digest.",
		References:  nil}
	ruleCredential = Rule{ID: "hardcoded-credential", Category: finding.CategorySecrets,
		Severity: finding.SeverityHigh, Engine: "go",
		Summary:     "No literal credentials in env or ConfigMaps",
		Doc:         "Inspects env values and ConfigMap data by key name and by content (known token formats, entropy). The value is never reported.",
		Remediation: "Move the value to a Secret (or an external secret store) and mount it as a file.",
		References:  []string{"CIS 5.4.1", "MITRE ATT&CK T1552"}}
	ruleSecretEnv = Rule{ID: "secret-in-env", Category: finding.CategorySecrets,
		Severity: finding.SeverityMedium, Engine: "cel",
		Summary:     "Secrets should be mounted as files, not env vars",
		Doc:         "Inspects env[].valueFrom.secretKeyRef and envFrom[].secretRef.",
		Remediation: "Mount the Secret as a volume and read it from the file.",
		References:  []string{"CIS 5.4.1"}}
	ruleDefaultSA = Rule{ID: "default-service-account", Category: finding.CategoryIdentity,
		Severity: finding.SeverityMedium, Engine: "cel",
		Summary:     "Workloads must not run as the default ServiceAccount",
		Doc:         "Inspects serviceAccountName (and the deprecated serviceAccount). Allowed: a name other than default.",
		Remediation: "Create a ServiceAccount per application and set serviceAccountName.",
		References:  []string{"CIS 5.1.5"}}
	ruleOwner = Rule{ID: "missing-owner-label", Category: finding.CategoryGovernance,
		Severity: finding.SeverityLow, Engine: "cel",
		Summary:     "Workloads and namespaces need an owner",
		Doc:         "Inspects metadata.labels and metadata.annotations for team or owner (keys configurable).",
		Remediation: "Add a team label naming the owning team.",
		References:  []string{}}
	rulePSALabels = Rule{ID: "namespace-without-psa-labels", Category: finding.CategoryGovernance,
		Severity: finding.SeverityMedium, Engine: "go",
		Summary:     "Namespaces need Pod Security Admission labels",
		Doc:         "Inspects pod-security.kubernetes.io/enforce on Namespaces.",
		Remediation: "Label the namespace with pod-security.kubernetes.io/enforce: restricted (or baseline).",
		References:  []string{"PSS"}}
	ruleHostPath = Rule{ID: "host-path-volume", Category: finding.CategoryWorkload,
		Severity: finding.SeverityHigh, Level: finding.LevelBaseline, Engine: "pss",
		Summary:     "Pods must not mount hostPath volumes",
		Doc:         "Inspects spec.volumes[].hostPath. Allowed: absent.",
		Remediation: "Use a PersistentVolumeClaim, emptyDir, ConfigMap or Secret volume instead.",
		References:  []string{"PSS baseline: HostPath Volumes"}}
)

var (
	objWeb       = finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}
	objWebConfig = finding.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: "shop", Name: "web-config"}
	objCleanup   = finding.ObjectRef{APIVersion: "batch/v1", Kind: "CronJob", Namespace: "ops", Name: "cleanup"}
	objChart     = finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "release-web"}
	objLegacyNS  = finding.ObjectRef{APIVersion: "v1", Kind: "Namespace", Name: "legacy"}
)

func src(file string, line, col int) *finding.Source {
	return &finding.Source{File: file, Line: line, Column: col}
}

func mk(r Rule, obj finding.ObjectRef, s *finding.Source, path, container, msg, owner string) finding.Finding {
	f := finding.Finding{
		Rule: r.ID, Category: r.Category, Severity: r.Severity, Level: r.Level,
		Object: obj, Source: s, Path: path, Container: container, Message: msg,
		Remediation: r.Remediation, References: r.References, Owner: owner,
	}
	f.Fingerprint = f.ComputeFingerprint()
	return f
}

func withRelated(f finding.Finding, rs ...finding.Related) finding.Finding {
	f.Related = rs
	return f
}

func suppressed(f finding.Finding, s finding.Suppression) finding.Finding {
	f.Suppressed = &s
	return f
}

// fullReport is a realistic scan result: several severities and
// categories, suppressed findings of each kind, a Helm finding without a
// line, a cluster finding without a file, rules without findings, and
// diagnostics of both levels. Findings are deliberately not sorted.
func fullReport() *Report {
	return &Report{
		Tool:    Tool{Name: "kharden", Version: "v0.1.0-test", InformationURI: "https://github.com/kharden/kharden"},
		Inputs:  []string{"deploy/", "charts/web"},
		Objects: 12,
		Rules: []Rule{ruleSecretEnv, rulePrivileged, ruleRunAsRoot, ruleLatest, ruleNotPinned, ruleCredential,
			ruleDefaultSA, ruleOwner, rulePSALabels, ruleHostPath},
		Findings: []finding.Finding{
			mk(ruleOwner, objLegacyNS, nil, "metadata.labels", "",
				"Namespace legacy has no team or owner label or annotation.", ""),
			mk(ruleLatest, objWeb, src("deploy/web.yaml", 27, 16), "spec.template.spec.containers[0].image", "app",
				`Image "nginx:latest" uses the latest tag.`, "payments"),
			mk(rulePrivileged, objWeb, src("deploy/web.yaml", 31, 13),
				"spec.template.spec.containers[0].securityContext.privileged", "app",
				`Container "app" runs privileged: it gets every capability and device of the node.`, "payments"),
			mk(ruleRunAsRoot, objWeb, src("deploy/web.yaml", 20, 7), "spec.template.spec.securityContext.runAsNonRoot", "",
				"Pod does not set runAsNonRoot: true, so its containers may run as root (uid 0).", "payments"),
			mk(ruleNotPinned, objWeb, src("deploy/web.yaml", 27, 16), "spec.template.spec.containers[0].image", "app",
				`Image "nginx:latest" is not pinned by digest.`, "payments"),
			mk(ruleNotPinned, objWeb, src("deploy/web.yaml", 40, 16), "spec.template.spec.initContainers[0].image", "migrate",
				`Image "registry.example.com:5000/shop/migrate:1.4" is not pinned by digest.`, "payments"),
			mk(ruleCredential, objWebConfig, src("deploy/web.yaml", 52, 3), "data.DB_PASSWORD", "",
				"Key DB_PASSWORD holds a literal credential (name and entropy match); the value is not shown.", "payments"),
			mk(ruleSecretEnv, objCleanup, src("deploy/jobs/cleanup.yaml", 24, 19),
				"spec.jobTemplate.spec.template.spec.containers[0].env[1].valueFrom.secretKeyRef", "cleanup",
				`Env var "API_TOKEN|ALT" reads Secret *api-keys* key <token>; mount it as a file instead.`, "platform"),
			suppressed(withRelated(mk(ruleDefaultSA, objCleanup, src("deploy/jobs/cleanup.yaml", 12, 11),
				"spec.jobTemplate.spec.template.spec.serviceAccountName", "",
				"Pod runs as the default ServiceAccount.", "platform"),
				finding.Related{Role: "subject", Object: finding.ObjectRef{APIVersion: "v1", Kind: "ServiceAccount", Namespace: "platform", Name: "default"}},
				finding.Related{Role: "rule", Object: finding.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role", Namespace: "platform", Name: "cleanup"}, Detail: "delete jobs.batch"}),
				finding.Suppression{Kind: finding.SuppressedByAnnotation, Reason: "migrating to a dedicated ServiceAccount",
					Owner: "platform", Expires: "2027-01-31"}),
			suppressed(mk(ruleSecretEnv, objWeb, src("deploy/web.yaml", 35, 19),
				"spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef", "app",
				`Env var "DB_URL" reads Secret web-db key url; mount it as a file instead.`, "payments"),
				finding.Suppression{Kind: finding.SuppressedByConfig, Reason: "approved exception EXC-12", Owner: "security"}),
			suppressed(mk(ruleRunAsRoot, objChart, src("charts/web/templates/deployment.yaml", 0, 0),
				"spec.template.spec.securityContext.runAsNonRoot", "",
				"Pod does not set runAsNonRoot: true, so its containers may run as root (uid 0).", ""),
				finding.Suppression{Kind: finding.SuppressedByBaseline, Reason: "in baseline .kharden-baseline.json"}),
			mk(ruleOwner, objChart, src("charts/web/templates/deployment.yaml", 0, 0), "metadata.labels", "",
				"Deployment release-web has no team or owner label or annotation.", ""),
		},
		Diagnostics: []inventory.Diagnostic{
			{File: "deploy/logo.png", Message: "skipped: not a YAML or JSON file", Warning: true},
			{File: "deploy/broken.yaml", Line: 7, Message: "yaml: line 7: did not find expected key"},
		},
		Baseline: ".kharden-baseline.json",
	}
}

// emptyReport is a clean scan: rules ran, nothing found.
func emptyReport() *Report {
	return &Report{
		Tool:    Tool{Name: "kharden", Version: "v0.1.0-test"},
		Inputs:  []string{"deploy/"},
		Objects: 3,
		Rules:   []Rule{rulePrivileged, ruleRunAsRoot},
	}
}
