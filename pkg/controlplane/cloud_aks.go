package controlplane

import (
	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// cloudAKS is the part of `az aks show` output the rules read.
type cloudAKS struct {
	Name                   string `json:"name"`
	APIServerAccessProfile *struct {
		EnablePrivateCluster *bool    `json:"enablePrivateCluster"`
		AuthorizedIPRanges   []string `json:"authorizedIpRanges"`
	} `json:"apiServerAccessProfile"`
	SecurityProfile *struct {
		AzureKeyVaultKms *struct {
			Enabled *bool `json:"enabled"`
		} `json:"azureKeyVaultKms"`
	} `json:"securityProfile"`
}

// cloudAKSAuditSeverity is the severity of AKS's audit finding: info, since
// it says "not verifiable", not "off".
var cloudAKSAuditSeverity = finding.SeverityInfo

// checkAKS audits `az aks show` output:
//
//   - apiserver-public-endpoint: apiServerAccessProfile.enablePrivateCluster
//     is not true and authorizedIpRanges is empty or holds 0.0.0.0/0;
//   - cloud-audit-logging-disabled: AKS sends kube-audit logs only through a
//     diagnostic setting on the cluster resource, which `az aks show` does not
//     print (azureMonitorProfile is metrics only). So the rule is always
//     reported, at severity info, saying it cannot be verified from this file
//     and how to check (`az monitor diagnostic-settings list`);
//   - cloud-secrets-encryption-disabled: securityProfile.azureKeyVaultKms.enabled
//     is not true. AKS encrypts etcd's disks with platform keys by default;
//     the rule asks for KMS envelope encryption of Secrets with a Key Vault key
//     the customer controls.
func (a *cloudAudit) checkAKS(data []byte) error {
	var c cloudAKS
	if err := a.decode(data, &c); err != nil {
		return err
	}
	if err := a.start(KindAKSCluster, c.Name, "name"); err != nil {
		return err
	}

	p := c.APIServerAccessProfile
	if p == nil || p.EnablePrivateCluster == nil || !*p.EnablePrivateCluster {
		var ranges []string
		if p != nil {
			ranges = p.AuthorizedIPRanges
		}
		if open, why := cloudUnrestricted(ranges); open {
			a.report(checks.RuleAPIServerPublicEndpoint, "apiServerAccessProfile.authorizedIpRanges", nil,
				"AKS cluster %q has a public API endpoint (not a private cluster) open to %s", c.Name, why)
		}
	}

	a.report(checks.RuleCloudAuditLoggingDisabled, "diagnosticSettings", &cloudAKSAuditSeverity,
		"AKS cluster %q: audit logging cannot be verified from `az aks show` (kube-audit is sent by a diagnostic setting, "+
			"which it does not print); check `az monitor diagnostic-settings list --resource <cluster id>` for kube-audit or kube-audit-admin", c.Name)

	if s := c.SecurityProfile; s == nil || s.AzureKeyVaultKms == nil || s.AzureKeyVaultKms.Enabled == nil || !*s.AzureKeyVaultKms.Enabled {
		a.report(checks.RuleCloudSecretsEncryptionDisabled, "securityProfile.azureKeyVaultKms.enabled", nil,
			"AKS cluster %q does not encrypt Secrets with a Key Vault KMS key (securityProfile.azureKeyVaultKms is not enabled)", c.Name)
	}
	return nil
}
