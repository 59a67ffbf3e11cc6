package controlplane

import (
	"slices"
	"strings"

	"github.com/kharden/kharden/pkg/checks"
)

// cloudEKS is the part of `aws eks describe-cluster` output the rules read.
type cloudEKS struct {
	Cluster struct {
		Name               string `json:"name"`
		ResourcesVpcConfig *struct {
			EndpointPublicAccess  *bool    `json:"endpointPublicAccess"`
			EndpointPrivateAccess *bool    `json:"endpointPrivateAccess"`
			PublicAccessCidrs     []string `json:"publicAccessCidrs"`
		} `json:"resourcesVpcConfig"`
		Logging *struct {
			ClusterLogging []struct {
				Types   []string `json:"types"`
				Enabled *bool    `json:"enabled"`
			} `json:"clusterLogging"`
		} `json:"logging"`
		EncryptionConfig []struct {
			Resources []string `json:"resources"`
			Provider  *struct {
				KeyArn string `json:"keyArn"`
			} `json:"provider"`
		} `json:"encryptionConfig"`
	} `json:"cluster"`
}

// checkEKS audits `aws eks describe-cluster` output:
//
//   - apiserver-public-endpoint: cluster.resourcesVpcConfig.endpointPublicAccess
//     true (EKS's default) while publicAccessCidrs is empty or holds
//     0.0.0.0/0 or ::/0 (EKS's default is ["0.0.0.0/0"]);
//   - cloud-audit-logging-disabled: no cluster.logging.clusterLogging[] entry
//     with enabled true lists the type "audit" (the "api" type is the API
//     server's own log, not the audit log, and does not count);
//   - cloud-secrets-encryption-disabled: no cluster.encryptionConfig[] entry
//     covers "secrets" with a provider.keyArn. EKS also envelope-encrypts with
//     a key AWS owns on recent versions; the rule asks for a key the customer
//     controls (can audit, rotate and revoke).
func (a *cloudAudit) checkEKS(data []byte) error {
	var c cloudEKS
	if err := a.decode(data, &c); err != nil {
		return err
	}
	cl := &c.Cluster
	if err := a.start(KindEKSCluster, cl.Name, "cluster.name"); err != nil {
		return err
	}

	if vpc := cl.ResourcesVpcConfig; vpc != nil && (vpc.EndpointPublicAccess == nil || *vpc.EndpointPublicAccess) {
		if open, why := cloudUnrestricted(vpc.PublicAccessCidrs); open {
			a.report(checks.RuleAPIServerPublicEndpoint, "cluster.resourcesVpcConfig.publicAccessCidrs", nil,
				"EKS cluster %q has a public API endpoint (endpointPublicAccess) open to %s", cl.Name, why)
		}
	}

	audit := false
	if cl.Logging != nil {
		for _, l := range cl.Logging.ClusterLogging {
			if l.Enabled != nil && *l.Enabled && slices.ContainsFunc(l.Types, func(t string) bool { return strings.EqualFold(t, "audit") }) {
				audit = true
			}
		}
	}
	if !audit {
		a.report(checks.RuleCloudAuditLoggingDisabled, "cluster.logging.clusterLogging", nil,
			"EKS cluster %q does not send the Kubernetes audit log to CloudWatch (log type \"audit\" is not enabled)", cl.Name)
	}

	encrypted := false
	for _, e := range cl.EncryptionConfig {
		if e.Provider != nil && e.Provider.KeyArn != "" && slices.Contains(e.Resources, "secrets") {
			encrypted = true
		}
	}
	if !encrypted {
		a.report(checks.RuleCloudSecretsEncryptionDisabled, "cluster.encryptionConfig", nil,
			"EKS cluster %q has no encryptionConfig for secrets with a customer-managed KMS key", cl.Name)
	}
	return nil
}

// cloudUnrestricted reports whether a list of allowed source ranges lets
// every address in: an empty list (the providers' "no restriction") or a
// range of prefix length 0. why says which, for the message.
func cloudUnrestricted(cidrs []string) (bool, string) {
	if len(cidrs) == 0 {
		return true, "every address (no CIDR restriction)"
	}
	for _, c := range cidrs {
		if s := strings.TrimSpace(c); s == "0.0.0.0/0" || s == "::/0" {
			return true, "every address (" + s + ")"
		}
	}
	return false, ""
}
