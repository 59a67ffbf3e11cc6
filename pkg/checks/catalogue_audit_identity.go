package checks

import "github.com/kharden/kharden/pkg/finding"

const (
	identRefNSA       = "NSA/CISA Kubernetes Hardening Guide: Audit logging and threat detection"
	identRefNSAAuthn  = "NSA/CISA Kubernetes Hardening Guide: Authentication and authorization"
	identRefAuditDocs = "Kubernetes documentation: Auditing (audit.k8s.io/v1 Event)"
)

// auditIdentityChecks are the audit-log rules about who calls the API server
// and how often: rates and spikes judged against each caller's own baseline,
// anonymous and impersonated requests, break-glass accounts, Secret reads,
// RBAC changes and token requests.
var auditIdentityChecks = []*Check{
	{
		ID: RuleAuditAuthFailureSpike, Category: finding.CategoryDetection, Severity: finding.SeverityHigh,
		Summary: "Burst of failed authentications or authorizations from one source or user",
		Doc: "Counts the final audit record of every request answered 401 (authentication failed) or 403 " +
			"(authorization denied), in windows of detect.window (default 1m), per source IP and, for 403s, per user " +
			"(a 401 has no user, so it is counted by source IP only). A window fires when its count is at least " +
			"detect.authFailures.min (default 30) and more than detect.authFailures.factor (default 5) times the " +
			"key's own baseline, an exponentially weighted average of its earlier windows; a source never seen " +
			"before has a baseline of zero. The first detect.warmup (default 10m) of log time only learns. The " +
			"message names the most probed requests. Known false positives: a client with a rotated or expired " +
			"credential retrying in a loop (a CI job, a kubeconfig left on a laptop), and a controller whose RBAC " +
			"was just narrowed; both show one source failing the same request over and over.",
		Remediation: "Identify the source IP (load balancer, node, pod) and the credential it uses. Block the " +
			"address at the network edge if it is not yours; if it is, rotate the credential and fix the client. " +
			"Make sure the API server is not exposed to the internet, and that anonymous authentication is off or " +
			"limited to the health endpoints.",
		References: []string{"MITRE ATT&CK T1110 Brute Force", "MITRE ATT&CK T1580 Cloud Infrastructure Discovery", identRefNSA},
		Engine:     EngineAnalysis, Command: AuditCommand,
	},
	{
		ID: RuleAuditRequestRateAnomaly, Category: finding.CategoryDetection, Severity: finding.SeverityMedium,
		Summary: "Request rate of one identity or source far above its own history",
		Doc: "Counts the final audit record of every request, in windows of detect.window (default 1m), per source " +
			"IP and per authenticated identity (requests without a user are counted by source only). A window " +
			"fires when its count is at least detect.requestRate.min (default 600) and more than " +
			"detect.requestRate.factor (default 10) times the key's own baseline, an exponentially weighted average " +
			"of its earlier windows. Nothing is excluded by name: a controller's steady high rate is learnt by its " +
			"baseline, while a source that appears after the warm-up with hundreds of requests a minute (the " +
			"scanning bot) has a baseline of zero and fires at once. The first detect.warmup (default 10m) of log " +
			"time only learns, so an analysis of a short log reports nothing. Known false positives: a controller " +
			"or operator installed after the warm-up (its first list and watch burst), a new CI runner, and " +
			"`kubectl` loops in scripts.",
		Remediation: "Look at the evidence: who the identity is, what it requests, from where. An unknown source " +
			"hammering the API is a scan or an attack: block it and check what it could read. A known client " +
			"should be fixed to use watches and caches (client-go informers); API Priority and Fairness can cap " +
			"its share of the API server meanwhile.",
		References: []string{"MITRE ATT&CK T1498 Network Denial of Service", "MITRE ATT&CK T1613 Container and Resource Discovery", identRefNSA},
		Engine:     EngineAnalysis, Command: AuditCommand,
	},
	{
		ID: RuleAuditAnonymousRequest, Category: finding.CategoryDetection, Severity: finding.SeverityHigh,
		Summary: "Request allowed for the anonymous user",
		Doc: "Reports every final audit record of a request made by system:anonymous or a member of " +
			"system:unauthenticated that was allowed (2xx/3xx, or an allow decision), except the non-resource " +
			"paths the default system:public-info-viewer role grants: /healthz, /livez, /readyz (and their " +
			"sub-paths) and /version. Severity is high, critical when the request read Secrets or changed anything. " +
			"The message quotes the authorizer's reason, which names the binding that let the request through. " +
			"Known false positives: load balancers or monitoring probing other paths anonymously, such as /metrics " +
			"when a binding grants it on purpose.",
		Remediation: "Find the binding named in the reason (often a ClusterRoleBinding to system:anonymous or " +
			"system:unauthenticated) and delete it; run kube-apiserver with --anonymous-auth=false, or limit " +
			"anonymous authentication to the health endpoints in an AuthenticationConfiguration. If Secrets were " +
			"read, rotate them.",
		References: []string{"MITRE ATT&CK T1078.001 Valid Accounts: Default Accounts", "CIS Kubernetes Benchmark 1.2.1",
			identRefNSAAuthn, "Falco rule: Anonymous Request Allowed"},
		Engine: EngineAnalysis, Command: AuditCommand,
	},
	{
		ID: RuleAuditSecretAccessUnusual, Category: finding.CategoryDetection, Severity: finding.SeverityMedium,
		Summary: "Secrets read by a new reader, or in bulk",
		Doc: "Looks at the final audit record of every allowed get, list and watch of secrets. It reports an " +
			"identity that reads Secrets after the first detect.warmup (default 10m) of log time when it never read " +
			"one during the warm-up (medium); a list or watch of Secrets across all namespaces (high); and more " +
			"than detect.secretBulk (default 20) distinct Secrets read by one identity in one detect.window " +
			"(high). Identities matching detect.trustedIdentities and the cluster's own components (system: " +
			"users and kube-system ServiceAccounts) are never reported. Secret values are never part of a finding: " +
			"kharden does not keep the bodies of Secrets. Known false positives: operators that manage Secrets " +
			"(cert-manager, external-secrets, Argo CD, Vault agents) and new workloads deployed after the warm-up; " +
			"list them in detect.trustedIdentities.",
		Remediation: "Check who the identity is and whether it needs the Secrets it read. If not, remove the RBAC " +
			"grant (the rbac-secrets-read rule lists who holds it), and rotate the Secrets that were read. " +
			"Prefer get on named Secrets to list, and namespaced Roles to ClusterRoles.",
		References: []string{"MITRE ATT&CK T1552.007 Unsecured Credentials: Container API", identRefNSA,
			"Falco rule: K8s Secret Get Successfully"},
		Engine: EngineAnalysis, Command: AuditCommand,
	},
	{
		ID: RuleAuditRBACChangeOutsideWin, Category: finding.CategoryDetection, Severity: finding.SeverityMedium,
		Summary: "RBAC role or binding changed outside the maintenance windows",
		Doc: "Reports every allowed create, update, patch, delete and deletecollection of roles, rolebindings, " +
			"clusterroles and clusterrolebindings (rbac.authorization.k8s.io) at a time outside " +
			"detect.maintenanceWindows, made by an identity that is neither one of the cluster's own components " +
			"(system: users, kube-system ServiceAccounts) nor in detect.trustedIdentities. With no maintenance " +
			"window configured every such change is reported. Changes to cluster-scoped roles and bindings are " +
			"high, namespaced ones medium. Known false positives: GitOps controllers and Helm releases applying " +
			"RBAC (add their identities to detect.trustedIdentities), emergency changes.",
		Remediation: "Check that the change was planned and reviewed; revert it if not and find out how the " +
			"actor came to hold RBAC write access. Route RBAC changes through GitOps during the maintenance " +
			"windows, and grant the escalate, bind and RBAC write verbs to as few identities as possible.",
		References: []string{"MITRE ATT&CK T1098 Account Manipulation", identRefNSA,
			"Falco rule: K8s Role/Clusterrole Created", "Falco rule: K8s Role/Clusterrole Deleted"},
		Engine: EngineAnalysis, Command: AuditCommand,
	},
	{
		ID: RuleAuditBreakGlassUsed, Category: finding.CategoryDetection, Severity: finding.SeverityHigh,
		Summary: "Break-glass account used",
		Doc: "Reports every request (final audit record, allowed or not) made by a user matching " +
			"detect.breakGlassUsers (path.Match patterns) or holding a group listed in breakGlassGroups, as " +
			"themselves or through impersonation. One finding per account; its message lists the first actions " +
			"taken. Break-glass accounts exist for emergencies: every use should be explained.",
		Remediation: "Confirm the emergency with whoever used the account, review every action in the evidence " +
			"and the full audit log, and rotate the account's credentials once the emergency is over.",
		References: []string{"MITRE ATT&CK T1078 Valid Accounts", identRefNSAAuthn, identRefNSA},
		Engine:     EngineAnalysis, Command: AuditCommand,
	},
	{
		ID: RuleAuditTokenRequest, Category: finding.CategoryDetection, Severity: finding.SeverityHigh,
		Summary: "ServiceAccount token requested by a person or another ServiceAccount",
		Doc: "Reports every create of serviceaccounts/token (the TokenRequest API, `kubectl create token`) by a " +
			"user that is not one of the cluster's own components: kubelets (system:node:*) and other system: " +
			"users request tokens for pods all the time. A person's request is high; a ServiceAccount requesting a " +
			"token for another ServiceAccount is medium; a ServiceAccount requesting its own token is ignored; " +
			"denied requests are low. Identities in detect.trustedIdentities are not reported. The finding's " +
			"object is the ServiceAccount the token is for. The API server never logs the issued token, and " +
			"kharden drops the body of token requests anyway.",
		Remediation: "Ask the requester why they needed the ServiceAccount's token; a token minted by hand can be " +
			"used from anywhere until it expires. Remove create on serviceaccounts/token from people's roles, and " +
			"revoke the token if in doubt by deleting and recreating the ServiceAccount (bound tokens die with it).",
		References: []string{"MITRE ATT&CK T1528 Steal Application Access Token", identRefNSAAuthn, identRefNSA},
		Engine:     EngineAnalysis, Command: AuditCommand,
	},
	{
		ID: RuleAuditImpersonation, Category: finding.CategoryDetection, Severity: finding.SeverityMedium,
		Summary: "Request made through impersonation",
		Doc: "Reports every final audit record with impersonatedUser set (`kubectl --as`, authenticating " +
			"proxies). An allowed request is high when it impersonated a system: user or the system:masters group, " +
			"or changed anything, medium otherwise; a denied impersonation attempt is low, and so is any request " +
			"of an impersonator listed in detect.trustedIdentities (authenticating proxies such as Rancher, " +
			"Teleport or kube-oidc-proxy impersonate on every request). The finding's object is the impersonator.",
		Remediation: "Check why the impersonator needed to act as someone else. Limit the impersonate verb to " +
			"the proxies that need it, with resourceNames naming the users and groups they may impersonate, and " +
			"never grant impersonation of system:masters.",
		References: []string{"MITRE ATT&CK T1134 Access Token Manipulation", identRefNSAAuthn, identRefAuditDocs},
		Engine:     EngineAnalysis, Command: AuditCommand,
	},
}
