package checks

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/pkg/finding"
)

// KubeconfigCommand is the command that reports the kubeconfig rules.
const KubeconfigCommand = "kharden access kubeconfig"

// Ids of the rules `kharden access kubeconfig` reports, shared with
// pkg/access so that each id is written once.
const (
	RuleKubeconfigStaticToken        finding.RuleID = "kubeconfig-static-token"
	RuleKubeconfigBasicAuth          finding.RuleID = "kubeconfig-basic-auth"
	RuleKubeconfigClientCertExpired  finding.RuleID = "kubeconfig-client-cert-expired"
	RuleKubeconfigClientCertLong     finding.RuleID = "kubeconfig-client-cert-long-lived"
	RuleKubeconfigClientCertMasters  finding.RuleID = "kubeconfig-client-cert-system-masters"
	RuleKubeconfigInsecureSkipVerify finding.RuleID = "kubeconfig-insecure-skip-tls-verify"
	RuleKubeconfigPlainHTTP          finding.RuleID = "kubeconfig-plain-http"
	RuleKubeconfigExecCredential     finding.RuleID = "kubeconfig-exec-credential"
)

// The entries of a kubeconfig that kubeconfig findings are about: a users[]
// entry is reported as kind User, a clusters[] entry as kind Cluster, both
// with apiVersion v1 (the kubeconfig's own) and the entry's name.
var (
	KindKubeconfigUser    = schema.GroupKind{Kind: "User"}
	KindKubeconfigCluster = schema.GroupKind{Kind: "Cluster"}
)

var (
	kubeconfigUserKinds    = []schema.GroupKind{KindKubeconfigUser}
	kubeconfigClusterKinds = []schema.GroupKind{KindKubeconfigCluster}
)

const (
	kubeconfigRefCISClientCerts = "CIS Kubernetes Benchmark 3.1.1"
	kubeconfigRefCISTokens      = "CIS Kubernetes Benchmark 3.1.2"
	kubeconfigRefNSAAuthn       = "NSA/CISA Kubernetes Hardening Guide: Authentication and authorization"
	kubeconfigRefNSANetwork     = "NSA/CISA Kubernetes Hardening Guide: Network separation and hardening"
	kubeconfigRefCredsInFiles   = "MITRE ATT&CK T1552.001"
	kubeconfigRefMitM           = "MITRE ATT&CK T1557"
)

// kubeconfigChecks are the rules of `kharden access kubeconfig`, which audits
// the credentials and server settings people keep in their kubeconfig files.
var kubeconfigChecks = []*Check{
	{
		ID:       RuleKubeconfigStaticToken,
		Category: finding.CategoryIdentity,
		Severity: finding.SeverityHigh,
		Summary:  "kubeconfig user authenticates with a static bearer token",
		Doc: "Checks users[].user.token and users[].user.tokenFile. A bearer token written into a kubeconfig (a " +
			"ServiceAccount token, a static token file entry, a bootstrap token) does not expire by itself: whoever " +
			"copies the file or the token file can use it until someone notices and revokes it on the server side.",
		Remediation: "Replace the token with an exec credential plugin or OIDC login that issues short-lived tokens; " +
			"for automation outside the cluster use `kubectl create token --duration` and rotate. Revoke the old token.",
		References: []string{kubeconfigRefCISTokens, "CIS Kubernetes Benchmark 1.2.2", kubeconfigRefNSAAuthn, kubeconfigRefCredsInFiles, "MITRE ATT&CK T1528"},
		Engine:     EngineAnalysis,
		Command:    KubeconfigCommand,
		Kinds:      kubeconfigUserKinds,
	},
	{
		ID:       RuleKubeconfigBasicAuth,
		Category: finding.CategoryIdentity,
		Severity: finding.SeverityHigh,
		Summary:  "kubeconfig user authenticates with a username and password",
		Doc: "Checks users[].user.username and users[].user.password. Basic authentication sends a static password " +
			"with every request; Kubernetes removed it from the API server in 1.19, so a kubeconfig that still holds " +
			"one either talks to a proxy or distribution that accepts passwords, or carries a stale secret.",
		Remediation: "Remove the username and password; log in through OIDC or an exec credential plugin, and " +
			"change the password wherever it is still accepted.",
		References: []string{"CIS Kubernetes Benchmark v1.5.1 1.2.2", kubeconfigRefNSAAuthn, kubeconfigRefCredsInFiles},
		Engine:     EngineAnalysis,
		Command:    KubeconfigCommand,
		Kinds:      kubeconfigUserKinds,
	},
	{
		ID:       RuleKubeconfigClientCertExpired,
		Category: finding.CategoryIdentity,
		Severity: finding.SeverityMedium,
		Summary:  "kubeconfig client certificate has expired",
		Doc: "Parses the client certificate of each user (users[].user.client-certificate-data, or the file named by " +
			"client-certificate, relative to the kubeconfig's directory) and compares its NotAfter with the time of " +
			"the audit. An expired certificate no longer works; the entry and its private key are dead weight that " +
			"hides which credentials are really in use.",
		Remediation: "Delete the user entry and its key, or replace it with an exec credential plugin or OIDC login; " +
			"if a certificate is really needed, request a short-lived one through a CertificateSigningRequest.",
		References: []string{kubeconfigRefCISClientCerts, kubeconfigRefNSAAuthn},
		Engine:     EngineAnalysis,
		Command:    KubeconfigCommand,
		Kinds:      kubeconfigUserKinds,
	},
	{
		ID:       RuleKubeconfigClientCertLong,
		Category: finding.CategoryIdentity,
		Severity: finding.SeverityMedium,
		Summary:  "kubeconfig client certificate is valid for more than a year",
		Doc: "Parses the client certificate of each user and compares NotAfter with NotBefore: more than a year " +
			"and a day apart (the day allows for leap years and a backdated NotBefore) is reported. Kubernetes cannot revoke a client " +
			"certificate, so its whole validity is a standing credential: a copy of the key works until NotAfter.",
		Remediation: "Use an exec credential plugin or OIDC for people; where certificates are unavoidable, issue them " +
			"through a CertificateSigningRequest with spec.expirationSeconds of hours or days.",
		References: []string{kubeconfigRefCISClientCerts, kubeconfigRefNSAAuthn, kubeconfigRefCredsInFiles},
		Engine:     EngineAnalysis,
		Command:    KubeconfigCommand,
		Kinds:      kubeconfigUserKinds,
	},
	{
		ID:       RuleKubeconfigClientCertMasters,
		Category: finding.CategoryIdentity,
		Severity: finding.SeverityCritical,
		Summary:  "kubeconfig client certificate is in the system:masters group",
		Doc: "Parses the client certificate of each user and checks the subject's organisations (O), which the API " +
			"server reads as groups. Members of system:masters pass every authorization check before RBAC is " +
			"consulted; no binding can take that away and the certificate cannot be revoked, so the file is an " +
			"irrevocable cluster-admin credential until the certificate expires or the cluster CA is rotated.",
		Remediation: "Keep system:masters certificates only as an offline break-glass credential. Give people a " +
			"ClusterRoleBinding to a role they need, authenticated through OIDC or an exec plugin, and rotate the " +
			"cluster CA if a system:masters key may have leaked.",
		References: []string{"CIS Kubernetes Benchmark 5.1.7", kubeconfigRefCISClientCerts, kubeconfigRefNSAAuthn, "MITRE ATT&CK T1078"},
		Engine:     EngineAnalysis,
		Command:    KubeconfigCommand,
		Kinds:      kubeconfigUserKinds,
	},
	{
		ID:       RuleKubeconfigInsecureSkipVerify,
		Category: finding.CategoryIdentity,
		Severity: finding.SeverityHigh,
		Summary:  "kubeconfig cluster skips TLS certificate verification",
		Doc: "Checks clusters[].cluster.insecure-skip-tls-verify. With it set to true the client accepts any server " +
			"certificate, so anyone on the network path can pose as the API server and collect the credentials the " +
			"client sends.",
		Remediation: "Remove insecure-skip-tls-verify and set certificate-authority-data (or certificate-authority) " +
			"to the cluster's CA; use tls-server-name when the address differs from the certificate's names.",
		References: []string{kubeconfigRefNSANetwork, kubeconfigRefNSAAuthn, kubeconfigRefMitM},
		Engine:     EngineAnalysis,
		Command:    KubeconfigCommand,
		Kinds:      kubeconfigClusterKinds,
	},
	{
		ID:       RuleKubeconfigPlainHTTP,
		Category: finding.CategoryIdentity,
		Severity: finding.SeverityHigh,
		Summary:  "kubeconfig cluster server uses plain HTTP",
		Doc: "Checks the scheme of clusters[].cluster.server. Over http:// every request, credential and Secret " +
			"travels unencrypted and unauthenticated; the API server's insecure port was removed in Kubernetes 1.20, " +
			"so such a URL points at a proxy or a tunnel that drops TLS.",
		Remediation: "Point the server at the API server's https:// endpoint with the cluster CA; when a proxy is " +
			"needed, keep TLS end to end (proxy-url with an https server).",
		References: []string{kubeconfigRefNSANetwork, "MITRE ATT&CK T1040", kubeconfigRefMitM},
		Engine:     EngineAnalysis,
		Command:    KubeconfigCommand,
		Kinds:      kubeconfigClusterKinds,
	},
	{
		ID:       RuleKubeconfigExecCredential,
		Category: finding.CategoryIdentity,
		Severity: finding.SeverityInfo,
		Summary:  "kubeconfig user gets short-lived credentials from an exec plugin or OIDC",
		Doc: "Checks users[].user.exec and users[].user.auth-provider (name oidc). This is the good case, reported " +
			"as info so that a report shows which users are fine: the plugin or the identity provider issues tokens " +
			"that expire on their own, and access ends when the identity is disabled. The oidc provider caches its " +
			"refresh token in the file, which still deserves file permissions of 0600.",
		Remediation: "Nothing to fix. Keep the kubeconfig readable only by its owner, and prefer exec plugins " +
			"(kubelogin, cloud CLIs) over the deprecated auth-provider section.",
		References: []string{kubeconfigRefCISClientCerts, kubeconfigRefCISTokens, kubeconfigRefNSAAuthn},
		Engine:     EngineAnalysis,
		Command:    KubeconfigCommand,
		Kinds:      kubeconfigUserKinds,
	},
}
