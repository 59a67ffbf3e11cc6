package checks

import "github.com/kharden/kharden/pkg/finding"

// Commands that report the detection rules.
const (
	AuditCommand = "kharden audit analyze"
	DNSCommand   = "kharden dns analyze"
)

// Ids of the audit-log detectors (pkg/detect/auditlog).
const (
	RuleAuditAuthFailureSpike       finding.RuleID = "audit-auth-failure-spike"
	RuleAuditRequestRateAnomaly     finding.RuleID = "audit-request-rate-anomaly"
	RuleAuditAnonymousRequest       finding.RuleID = "audit-anonymous-request"
	RuleAuditPrivilegedPodCreated   finding.RuleID = "audit-privileged-pod-created"
	RuleAuditHostAccessPodCreated   finding.RuleID = "audit-host-access-pod-created"
	RuleAuditRBACChangeOutsideWin   finding.RuleID = "audit-rbac-change-outside-window"
	RuleAuditClusterAdminGranted    finding.RuleID = "audit-cluster-admin-granted"
	RuleAuditExecIntoPod            finding.RuleID = "audit-exec-into-pod"
	RuleAuditSecretAccessUnusual    finding.RuleID = "audit-secret-access-unusual"
	RuleAuditBreakGlassUsed         finding.RuleID = "audit-break-glass-used"
	RuleAuditTokenRequest           finding.RuleID = "audit-token-request"
	RuleAuditAdmissionConfigChanged finding.RuleID = "audit-admission-config-changed"
	RuleAuditImpersonation          finding.RuleID = "audit-impersonation"
	RuleAuditPodInKubeSystem        finding.RuleID = "audit-pod-created-in-kube-system"
	RuleAuditNodePortService        finding.RuleID = "audit-nodeport-service-created"
	RuleAuditConfigMapCredentials   finding.RuleID = "audit-configmap-with-credentials"
	RuleAuditIngressWithoutTLS      finding.RuleID = "audit-ingress-without-tls"
)

// Ids of the DNS detectors (pkg/detect/dns).
const (
	RuleDNSQuerySpike    finding.RuleID = "dns-query-spike"
	RuleDNSRandomDomains finding.RuleID = "dns-random-domains"
	RuleDNSNXDomainBurst finding.RuleID = "dns-nxdomain-burst"
)

// AuditRuleIDs lists every audit detector id; a test holds the catalogue
// to it.
var AuditRuleIDs = []finding.RuleID{
	RuleAuditAuthFailureSpike, RuleAuditRequestRateAnomaly, RuleAuditAnonymousRequest, RuleAuditPrivilegedPodCreated,
	RuleAuditHostAccessPodCreated, RuleAuditRBACChangeOutsideWin, RuleAuditClusterAdminGranted, RuleAuditExecIntoPod,
	RuleAuditSecretAccessUnusual, RuleAuditBreakGlassUsed, RuleAuditTokenRequest, RuleAuditAdmissionConfigChanged,
	RuleAuditImpersonation, RuleAuditPodInKubeSystem, RuleAuditNodePortService, RuleAuditConfigMapCredentials,
	RuleAuditIngressWithoutTLS,
}

// DNSRuleIDs lists every DNS detector id.
var DNSRuleIDs = []finding.RuleID{RuleDNSQuerySpike, RuleDNSRandomDomains, RuleDNSNXDomainBurst}

// AuditRules returns the metadata of the audit detectors' rules.
func AuditRules() []*Check { return auditChecks }

// DNSRules returns the metadata of the DNS detectors' rules.
func DNSRules() []*Check { return dnsChecks }

// auditChecks: identity and rate rules (catalogue_audit_identity.go) and
// the rules on the objects requests create (catalogue_audit_objects.go).
var auditChecks = concat(auditIdentityChecks, auditObjectChecks)

// detectChecks are listed in the catalogue with the analysis rules.
var detectChecks = concat(auditChecks, dnsChecks)
