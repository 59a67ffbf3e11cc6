package checks

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/pkg/finding"
)

// ControlplaneCommand is the command that reports the control-plane rules.
const ControlplaneCommand = "kharden controlplane check"

// Ids of the rules `kharden controlplane check` reports, shared with
// pkg/controlplane so that each id is written once.
const (
	RuleAPIServerAnonymousAuth          finding.RuleID = "apiserver-anonymous-auth"
	RuleAPIServerInsecureAuthorization  finding.RuleID = "apiserver-insecure-authorization"
	RuleAPIServerStaticTokenFile        finding.RuleID = "apiserver-static-token-file"
	RuleAPIServerNoOIDC                 finding.RuleID = "apiserver-no-oidc"
	RuleAPIServerAuditDisabled          finding.RuleID = "apiserver-audit-disabled"
	RuleAPIServerAuditPolicyWeak        finding.RuleID = "apiserver-audit-policy-weak"
	RuleAPIServerProfilingEnabled       finding.RuleID = "apiserver-profiling-enabled"
	RuleAPIServerAdmissionMissing       finding.RuleID = "apiserver-admission-missing"
	RuleAPIServerPublicEndpoint         finding.RuleID = "apiserver-public-endpoint"
	RuleEtcdEncryptionDisabled          finding.RuleID = "etcd-encryption-disabled"
	RuleEtcdClientTLSDisabled           finding.RuleID = "etcd-client-tls-disabled"
	RuleEtcdPeerTLSDisabled             finding.RuleID = "etcd-peer-tls-disabled"
	RuleEtcdClientCertAuthDisabled      finding.RuleID = "etcd-client-cert-auth-disabled"
	RuleKubeletAnonymousAuth            finding.RuleID = "kubelet-anonymous-auth"
	RuleKubeletAuthorizationAlwaysAllow finding.RuleID = "kubelet-authorization-always-allow"
	RuleKubeletReadOnlyPort             finding.RuleID = "kubelet-read-only-port"
	RuleCloudAuditLoggingDisabled       finding.RuleID = "cloud-audit-logging-disabled"
	RuleCloudSecretsEncryptionDisabled  finding.RuleID = "cloud-secrets-encryption-disabled"
)

// The objects control-plane findings are about: a static pod of the node
// (kube-apiserver, etcd), a kubelet's configuration file, a managed cluster
// as described by its cloud.
var (
	KindControlplanePod     = schema.GroupKind{Kind: "Pod"}
	KindKubeletConfig       = schema.GroupKind{Group: "kubelet.config.k8s.io", Kind: "KubeletConfiguration"}
	KindControlplaneCluster = schema.GroupKind{Kind: "Cluster"}
	KindEKSCluster          = schema.GroupKind{Kind: "EKSCluster"}
	KindGKECluster          = schema.GroupKind{Kind: "GKECluster"}
	KindAKSCluster          = schema.GroupKind{Kind: "AKSCluster"}
)

var (
	cpPodKinds     = []schema.GroupKind{KindControlplanePod}
	cpKubeletKinds = []schema.GroupKind{KindKubeletConfig}
	cpClusterKinds = []schema.GroupKind{KindEKSCluster, KindGKECluster, KindAKSCluster}
	cpAnyKinds     = []schema.GroupKind{KindControlplanePod, KindControlplaneCluster, KindEKSCluster, KindGKECluster, KindAKSCluster}
)

const (
	cpRefNSAAuthn   = "NSA/CISA Kubernetes Hardening Guide: Authentication and authorization"
	cpRefNSAAudit   = "NSA/CISA Kubernetes Hardening Guide: Audit logging and threat detection"
	cpRefNSANetwork = "NSA/CISA Kubernetes Hardening Guide: Network separation and hardening"
	cpRefEKS        = "CIS Amazon EKS Benchmark"
	cpRefGKE        = "CIS Google Kubernetes Engine (GKE) Benchmark"
	cpRefAKS        = "CIS Azure Kubernetes Service (AKS) Benchmark"
)

// ControlplaneRules returns the rules `kharden controlplane check` reports,
// for the command to read their metadata whether or not the catalogue
// lists them yet.
func ControlplaneRules() []*Check { return controlplaneChecks }

// controlplaneChecks are the rules of `kharden controlplane check`, which
// reads a node's static-pod manifests, the files their flags name, the
// kubelet's configuration and managed-cluster descriptions.
var controlplaneChecks = []*Check{
	{
		ID: RuleAPIServerAnonymousAuth, Category: finding.CategoryIdentity, Severity: finding.SeverityHigh,
		Summary: "API server accepts anonymous requests",
		Doc: "Checks kube-apiserver's --anonymous-auth (default true) and, when --authentication-config names an " +
			"AuthenticationConfiguration with an anonymous section, anonymous.enabled and its conditions. Anonymous " +
			"requests limited by conditions to the health paths /healthz, /livez and /readyz are allowed; anything " +
			"else lets unauthenticated callers reach every API the authorizer grants to system:anonymous or " +
			"system:unauthenticated, and exposes the server to unauthenticated denial of service.",
		Remediation: "Set --anonymous-auth=false, or in the AuthenticationConfiguration set anonymous.enabled with " +
			"conditions listing only /healthz, /livez and /readyz.",
		References: []string{"CIS Kubernetes Benchmark 1.2.1", cpRefNSAAuthn},
		Engine:     EngineAnalysis, Command: ControlplaneCommand, Kinds: []schema.GroupKind{KindControlplanePod, KindControlplaneCluster},
	},
	{
		ID: RuleAPIServerInsecureAuthorization, Category: finding.CategoryIdentity, Severity: finding.SeverityCritical,
		Summary: "API server authorizes with AlwaysAllow or ABAC",
		Doc: "Checks kube-apiserver's --authorization-mode (default AlwaysAllow when neither it nor " +
			"--authorization-config is set) and the authorizers[].type of the AuthorizationConfiguration. AlwaysAllow " +
			"lets every authenticated (and, with anonymous auth, every) caller do anything; ABAC policies live in a " +
			"file on the node, need a restart to change and are easy to leave wide open.",
		Remediation: "Use --authorization-mode=Node,RBAC (or an AuthorizationConfiguration with Node, RBAC and " +
			"webhooks only) and express access as RBAC roles.",
		References: []string{"CIS Kubernetes Benchmark 1.2.6", "CIS Kubernetes Benchmark 1.2.7", "CIS Kubernetes Benchmark 1.2.8", cpRefNSAAuthn},
		Engine:     EngineAnalysis, Command: ControlplaneCommand, Kinds: cpPodKinds,
	},
	{
		ID: RuleAPIServerStaticTokenFile, Category: finding.CategoryIdentity, Severity: finding.SeverityHigh,
		Summary: "API server accepts bearer tokens from a static token file",
		Doc: "Checks whether kube-apiserver has --token-auth-file (the file itself is never read). Static tokens " +
			"never expire, are stored in clear text on the control-plane nodes, and can only be changed by " +
			"editing the file and restarting the API server.",
		Remediation: "Remove --token-auth-file; authenticate people through OIDC (JWT authenticators) and " +
			"workloads through ServiceAccount tokens.",
		References: []string{"CIS Kubernetes Benchmark 1.2.2", cpRefNSAAuthn},
		Engine:     EngineAnalysis, Command: ControlplaneCommand, Kinds: cpPodKinds,
	},
	{
		ID: RuleAPIServerNoOIDC, Category: finding.CategoryIdentity, Severity: finding.SeverityInfo,
		Summary: "API server has no OIDC (JWT) authenticator for people",
		Doc: "Checks kube-apiserver for --oidc-issuer-url and for jwt[] authenticators in the " +
			"AuthenticationConfiguration named by --authentication-config. Without one, people authenticate with " +
			"client certificates or tokens, which cannot be revoked centrally or tied to the identity provider's " +
			"accounts, groups and multi-factor authentication.",
		Remediation: "Configure a JWT authenticator (AuthenticationConfiguration jwt[] or the --oidc-* flags) for " +
			"the organisation's identity provider and bind RBAC roles to its groups.",
		References: []string{"CIS Kubernetes Benchmark 3.1.1", cpRefNSAAuthn},
		Engine:     EngineAnalysis, Command: ControlplaneCommand, Kinds: cpPodKinds,
	},
	{
		ID: RuleAPIServerAuditDisabled, Category: finding.CategoryGovernance, Severity: finding.SeverityHigh,
		Summary: "API server writes no audit log",
		Doc: "Checks kube-apiserver for an audit backend (--audit-log-path or --audit-webhook-config-file) and an " +
			"audit policy (--audit-policy-file); without both, the API server records no audit event and nobody " +
			"can tell afterwards who read a Secret or changed a binding.",
		Remediation: "Set --audit-policy-file to a policy and --audit-log-path (with --audit-log-maxage, " +
			"--audit-log-maxbackup, --audit-log-maxsize) or --audit-webhook-config-file.",
		References: []string{"CIS Kubernetes Benchmark 1.2.16", "CIS Kubernetes Benchmark 3.2.1", cpRefNSAAudit},
		Engine:     EngineAnalysis, Command: ControlplaneCommand, Kinds: cpPodKinds,
	},
	{
		ID: RuleAPIServerAuditPolicyWeak, Category: finding.CategoryGovernance, Severity: finding.SeverityMedium,
		Summary: "audit policy logs secret bodies or misses security-relevant requests",
		Doc: "Reads the audit.k8s.io/v1 Policy named by --audit-policy-file and evaluates it the way the API server " +
			"does (first matching rule wins, omitStages of the policy and the rule combined) against representative " +
			"requests: reads and writes of secrets, configmaps and tokenreviews must not be logged at Request or " +
			"RequestResponse (the body would put the secret into the log); changes to RBAC roles and bindings, " +
			"pods/exec, pods/attach, pods/portforward and pod creation must be recorded at Metadata or above. A " +
			"final catch-all rule at level None is reported too: whatever the rules before it forget goes unrecorded.",
		Remediation: "Log secrets, configmaps and tokenreviews at Metadata; record RBAC changes, exec, attach, " +
			"port-forward and pod creation at Metadata or above; end the policy with a catch-all at Metadata.",
		References: []string{"CIS Kubernetes Benchmark 3.2.2", cpRefNSAAudit},
		Engine:     EngineAnalysis, Command: ControlplaneCommand, Kinds: cpPodKinds,
	},
	{
		ID: RuleAPIServerProfilingEnabled, Category: finding.CategoryGovernance, Severity: finding.SeverityLow,
		Summary: "API server serves profiling data",
		Doc: "Checks kube-apiserver's --profiling (default true). The /debug/pprof endpoints reveal internals of " +
			"the process and let a caller with access to them slow it down; they are for debugging, not production.",
		Remediation: "Set --profiling=false.",
		References:  []string{"CIS Kubernetes Benchmark 1.2.15"},
		Engine:      EngineAnalysis, Command: ControlplaneCommand, Kinds: cpPodKinds,
	},
	{
		ID: RuleAPIServerAdmissionMissing, Category: finding.CategoryGovernance, Severity: finding.SeverityHigh,
		Summary: "API server runs without the PodSecurity or NodeRestriction admission plugin",
		Doc: "Computes the enabled admission plugins from kube-apiserver's --enable-admission-plugins, " +
			"--disable-admission-plugins and the deprecated --admission-control, counting the plugins the API server " +
			"enables by default (PodSecurity is one, NodeRestriction is not). Without PodSecurity, namespaces' Pod " +
			"Security Standards labels are not enforced; without NodeRestriction a kubelet's credentials can modify " +
			"any node and pod, so one compromised node controls the cluster.",
		Remediation: "Add NodeRestriction to --enable-admission-plugins and remove PodSecurity from " +
			"--disable-admission-plugins.",
		References: []string{"CIS Kubernetes Benchmark 1.2.14", "CIS Kubernetes Benchmark 5.2.1", cpRefNSAAuthn},
		Engine:     EngineAnalysis, Command: ControlplaneCommand, Kinds: cpPodKinds,
	},
	{
		ID: RuleAPIServerPublicEndpoint, Category: finding.CategoryNetwork, Severity: finding.SeverityHigh,
		Summary: "API server endpoint is reachable from the internet",
		Doc: "Checks a managed cluster's description (EKS endpointPublicAccess with publicAccessCidrs 0.0.0.0/0, " +
			"GKE without private endpoint or master authorized networks, AKS without a private cluster or authorized " +
			"IP ranges) and, with a kubeconfig, whether the server's address is a public IP. A public endpoint is " +
			"open to credential stuffing and to any unauthenticated vulnerability of the API server.",
		Remediation: "Make the endpoint private, or restrict it to the CIDRs of the people and systems that need it.",
		References:  []string{"CIS Kubernetes Benchmark 5.4.1", cpRefEKS + " 5.4.1", cpRefGKE + " 5.6.3", cpRefAKS + " 5.4.1", cpRefNSANetwork},
		Engine:      EngineAnalysis, Command: ControlplaneCommand, Kinds: cpAnyKinds,
	},
	{
		ID: RuleEtcdEncryptionDisabled, Category: finding.CategorySecrets, Severity: finding.SeverityHigh,
		Summary: "Secrets are not encrypted at rest in etcd",
		Doc: "Checks kube-apiserver's --encryption-provider-config and the EncryptionConfiguration it names: the " +
			"first resources[] entry covering secrets (secrets, *. or *.*) must exist and its first provider, the " +
			"one that writes, must not be identity. Otherwise Secrets are stored in plain text and anyone with a " +
			"copy of etcd or its backups reads them. Turning encryption on does not rewrite old Secrets: check " +
			"the stored data with `kharden etcd verify-encryption`.",
		Remediation: "Set --encryption-provider-config to an EncryptionConfiguration whose secrets entry starts " +
			"with kms (v2), aescbc, aesgcm or secretbox, then rewrite existing Secrets with `kharden reencrypt`.",
		References: []string{"CIS Kubernetes Benchmark 1.2.27", "CIS Kubernetes Benchmark 1.2.28", "NSA/CISA Kubernetes Hardening Guide: Encryption"},
		Engine:     EngineAnalysis, Command: ControlplaneCommand, Kinds: cpPodKinds,
	},
	{
		ID: RuleEtcdClientTLSDisabled, Category: finding.CategoryNetwork, Severity: finding.SeverityHigh,
		Summary: "etcd client traffic is not protected by TLS",
		Doc: "Checks the etcd pod for --cert-file and --key-file and for http:// in --listen-client-urls and " +
			"--advertise-client-urls, and kube-apiserver for http:// in --etcd-servers and for --etcd-certfile and " +
			"--etcd-keyfile. Without TLS everything the API server stores, Secrets included, crosses the network " +
			"in clear text.",
		Remediation: "Serve etcd clients over https:// with --cert-file and --key-file, and give kube-apiserver " +
			"--etcd-cafile, --etcd-certfile and --etcd-keyfile.",
		References: []string{"CIS Kubernetes Benchmark 2.1", "CIS Kubernetes Benchmark 1.2.23", cpRefNSANetwork},
		Engine:     EngineAnalysis, Command: ControlplaneCommand, Kinds: cpPodKinds,
	},
	{
		ID: RuleEtcdPeerTLSDisabled, Category: finding.CategoryNetwork, Severity: finding.SeverityHigh,
		Summary: "etcd peer traffic is not protected by mutual TLS",
		Doc: "Checks the etcd pod for --peer-cert-file and --peer-key-file, for http:// in --listen-peer-urls and " +
			"--initial-advertise-peer-urls, and for --peer-client-cert-auth=true. Without them members replicate " +
			"the whole keyspace in clear text and accept any peer that connects.",
		Remediation: "Set --peer-cert-file, --peer-key-file, --peer-trusted-ca-file and --peer-client-cert-auth=true, " +
			"with https:// peer URLs.",
		References: []string{"CIS Kubernetes Benchmark 2.4", "CIS Kubernetes Benchmark 2.5", cpRefNSANetwork},
		Engine:     EngineAnalysis, Command: ControlplaneCommand, Kinds: cpPodKinds,
	},
	{
		ID: RuleEtcdClientCertAuthDisabled, Category: finding.CategoryIdentity, Severity: finding.SeverityHigh,
		Summary: "etcd accepts clients without a client certificate",
		Doc: "Checks the etcd pod's --client-cert-auth (default false). Without it any process that reaches the " +
			"client port reads and writes the whole cluster state, bypassing the API server's authentication, " +
			"authorization, admission and audit.",
		Remediation: "Set --client-cert-auth=true and --trusted-ca-file to a CA that signs only the API server's " +
			"etcd client certificate.",
		References: []string{"CIS Kubernetes Benchmark 2.2", "CIS Kubernetes Benchmark 2.3", cpRefNSAAuthn},
		Engine:     EngineAnalysis, Command: ControlplaneCommand, Kinds: cpPodKinds,
	},
	{
		ID: RuleKubeletAnonymousAuth, Category: finding.CategoryIdentity, Severity: finding.SeverityHigh,
		Summary: "kubelet accepts anonymous requests",
		Doc: "Checks authentication.anonymous.enabled of the KubeletConfiguration (kubelet.config.k8s.io/v1beta1 " +
			"defaults it to false) and the kubelet flag --anonymous-auth, which overrides the file and defaults to " +
			"true when the kubelet runs without a configuration file. Anonymous callers of the kubelet API can, " +
			"with a permissive authorizer, list pods, read logs and run commands in containers.",
		Remediation: "Set authentication.anonymous.enabled: false and authentication.webhook.enabled: true, and " +
			"drop --anonymous-auth=true from the kubelet's flags.",
		References: []string{"CIS Kubernetes Benchmark 4.2.1", cpRefNSAAuthn},
		Engine:     EngineAnalysis, Command: ControlplaneCommand, Kinds: cpKubeletKinds,
	},
	{
		ID: RuleKubeletAuthorizationAlwaysAllow, Category: finding.CategoryIdentity, Severity: finding.SeverityCritical,
		Summary: "kubelet authorizes every request (AlwaysAllow)",
		Doc: "Checks authorization.mode of the KubeletConfiguration (v1beta1 default Webhook) and the kubelet flag " +
			"--authorization-mode, which overrides the file and defaults to AlwaysAllow when the kubelet runs " +
			"without a configuration file. With AlwaysAllow anyone who can authenticate to the kubelet, or anyone " +
			"at all with anonymous auth, can exec into every container on the node.",
		Remediation: "Set authorization.mode: Webhook so the kubelet asks the API server (SubjectAccessReview).",
		References:  []string{"CIS Kubernetes Benchmark 4.2.2", cpRefNSAAuthn},
		Engine:      EngineAnalysis, Command: ControlplaneCommand, Kinds: cpKubeletKinds,
	},
	{
		ID: RuleKubeletReadOnlyPort, Category: finding.CategoryNetwork, Severity: finding.SeverityMedium,
		Summary: "kubelet serves the unauthenticated read-only port",
		Doc: "Checks readOnlyPort of the KubeletConfiguration (v1beta1 default 0, off) and the kubelet flag " +
			"--read-only-port, which overrides the file and defaults to 10255 when the kubelet runs without a " +
			"configuration file. The read-only port serves pod specs, environment and metrics without any " +
			"authentication or authorization.",
		Remediation: "Set readOnlyPort: 0 and remove --read-only-port from the kubelet's flags.",
		References:  []string{"CIS Kubernetes Benchmark 4.2.4", cpRefNSANetwork},
		Engine:      EngineAnalysis, Command: ControlplaneCommand, Kinds: cpKubeletKinds,
	},
	{
		ID: RuleCloudAuditLoggingDisabled, Category: finding.CategoryGovernance, Severity: finding.SeverityHigh,
		Summary: "managed cluster does not send control-plane audit logs",
		Doc: "Checks a managed cluster's description: EKS logging.clusterLogging without the audit type enabled, " +
			"GKE loggingConfig without the APISERVER component or with logging disabled (Google's Admin Activity " +
			"audit log is always on; data-access logging is a project setting the description does not show). " +
			"`az aks show` does not include diagnostic settings, so for AKS the finding is always info, 'not " +
			"verifiable from the description'. Without audit logs nobody can reconstruct who did what in the cluster.",
		Remediation: "Enable the provider's audit logging for the cluster (EKS: audit log type; GKE: Cloud Audit " +
			"and APISERVER logs; AKS: a diagnostic setting with kube-audit or kube-audit-admin).",
		References: []string{cpRefEKS + " 2.1.1", cpRefGKE + " 2.1.1", cpRefAKS + " 2.1.1", cpRefNSAAudit},
		Engine:     EngineAnalysis, Command: ControlplaneCommand, Kinds: cpClusterKinds,
	},
	{
		ID: RuleCloudSecretsEncryptionDisabled, Category: finding.CategorySecrets, Severity: finding.SeverityMedium,
		Summary: "managed cluster does not encrypt Secrets with a customer-managed key",
		Doc: "Checks a managed cluster's description for envelope encryption of Secrets with a key the customer " +
			"controls: EKS encryptionConfig with resources secrets and a KMS key, GKE databaseEncryption state " +
			"ENCRYPTED, AKS securityProfile.azureKeyVaultKms enabled. The provider's default disk encryption does " +
			"not protect Secrets from anyone who can read etcd's data.",
		Remediation: "Turn on the provider's KMS envelope encryption for Secrets (EKS encryption config, GKE " +
			"application-layer secrets encryption, AKS Key Vault KMS).",
		References: []string{cpRefEKS + " 5.3.1", cpRefGKE + " 5.3.1", cpRefAKS + " 5.3.1", "CIS Kubernetes Benchmark 1.2.27"},
		Engine:     EngineAnalysis, Command: ControlplaneCommand, Kinds: cpClusterKinds,
	},
}
