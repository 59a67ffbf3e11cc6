package controlplane

import (
	"slices"
	"strings"

	"github.com/kharden/kharden/pkg/checks"
)

// cloudGKE is the part of `gcloud container clusters describe --format=json`
// output the rules read.
type cloudGKE struct {
	Name                 string `json:"name"`
	PrivateClusterConfig *struct {
		EnablePrivateEndpoint *bool `json:"enablePrivateEndpoint"`
	} `json:"privateClusterConfig"`
	MasterAuthorizedNetworksConfig *cloudGKEAuthorizedNetworks `json:"masterAuthorizedNetworksConfig"`
	ControlPlaneEndpointsConfig    *struct {
		IPEndpointsConfig *struct {
			Enabled                  *bool                       `json:"enabled"`
			EnablePublicEndpoint     *bool                       `json:"enablePublicEndpoint"`
			AuthorizedNetworksConfig *cloudGKEAuthorizedNetworks `json:"authorizedNetworksConfig"`
		} `json:"ipEndpointsConfig"`
	} `json:"controlPlaneEndpointsConfig"`
	LoggingService string `json:"loggingService"`
	LoggingConfig  *struct {
		ComponentConfig *struct {
			EnableComponents []string `json:"enableComponents"`
		} `json:"componentConfig"`
	} `json:"loggingConfig"`
	DatabaseEncryption *struct {
		State   string `json:"state"`
		KeyName string `json:"keyName"`
	} `json:"databaseEncryption"`
}

// cloudGKEAuthorizedNetworks is GKE's MasterAuthorizedNetworksConfig.
type cloudGKEAuthorizedNetworks struct {
	Enabled    *bool `json:"enabled"`
	CidrBlocks []struct {
		CidrBlock string `json:"cidrBlock"`
	} `json:"cidrBlocks"`
}

// checkGKE audits `gcloud container clusters describe --format=json` output:
//
//   - apiserver-public-endpoint: the public endpoint is on (no
//     privateClusterConfig.enablePrivateEndpoint, or, in the newer
//     controlPlaneEndpointsConfig.ipEndpointsConfig, enabled with
//     enablePublicEndpoint) and masterAuthorizedNetworksConfig is not enabled
//     or allows 0.0.0.0/0;
//   - cloud-audit-logging-disabled: loggingService is "none", or
//     loggingConfig.componentConfig.enableComponents (when present) lacks
//     APISERVER. GKE's Admin Activity audit log (writes) goes to Cloud Audit
//     Logs whatever the cluster says and cannot be turned off; what the
//     cluster settings lose are the API server's logs, and Data Access audit
//     logs (reads) are a project setting this description does not show. The
//     message says so;
//   - cloud-secrets-encryption-disabled: databaseEncryption.state is not
//     ENCRYPTED with a keyName (application-layer Secrets encryption with a
//     Cloud KMS key).
func (a *cloudAudit) checkGKE(data []byte) error {
	var c cloudGKE
	if err := a.decode(data, &c); err != nil {
		return err
	}
	if err := a.start(KindGKECluster, c.Name, "name"); err != nil {
		return err
	}

	public := c.PrivateClusterConfig == nil || c.PrivateClusterConfig.EnablePrivateEndpoint == nil || !*c.PrivateClusterConfig.EnablePrivateEndpoint
	networks, networksPath := c.MasterAuthorizedNetworksConfig, "masterAuthorizedNetworksConfig"
	if cp := c.ControlPlaneEndpointsConfig; cp != nil && cp.IPEndpointsConfig != nil {
		ip := cp.IPEndpointsConfig
		public = (ip.Enabled == nil || *ip.Enabled) && (ip.EnablePublicEndpoint == nil || *ip.EnablePublicEndpoint)
		if networks == nil && ip.AuthorizedNetworksConfig != nil {
			networks, networksPath = ip.AuthorizedNetworksConfig, "controlPlaneEndpointsConfig.ipEndpointsConfig.authorizedNetworksConfig"
		}
	}
	if public {
		switch {
		case networks == nil || networks.Enabled == nil || !*networks.Enabled:
			a.report(checks.RuleAPIServerPublicEndpoint, networksPath+".enabled", nil,
				"GKE cluster %q has a public API endpoint without master authorized networks", c.Name)
		default:
			var cidrs []string
			for _, b := range networks.CidrBlocks {
				cidrs = append(cidrs, b.CidrBlock)
			}
			// An enabled list that is empty admits nobody from outside
			// Google Cloud, unlike EKS's and AKS's empty lists.
			if len(cidrs) > 0 {
				if open, why := cloudUnrestricted(cidrs); open {
					a.report(checks.RuleAPIServerPublicEndpoint, networksPath+".cidrBlocks", nil,
						"GKE cluster %q has a public API endpoint whose authorized networks admit %s", c.Name, why)
				}
			}
		}
	}

	const auditNote = " (GKE's Admin Activity audit log of writes is always kept in Cloud Audit Logs; Data Access audit logs are a project setting not shown here)"
	switch {
	case strings.EqualFold(strings.TrimSpace(c.LoggingService), "none"):
		a.report(checks.RuleCloudAuditLoggingDisabled, "loggingService", nil,
			"GKE cluster %q has Cloud Logging turned off (loggingService none)"+auditNote, c.Name)
	case c.LoggingConfig != nil && c.LoggingConfig.ComponentConfig != nil &&
		!slices.ContainsFunc(c.LoggingConfig.ComponentConfig.EnableComponents, func(s string) bool { return strings.EqualFold(s, "APISERVER") }):
		a.report(checks.RuleCloudAuditLoggingDisabled, "loggingConfig.componentConfig.enableComponents", nil,
			"GKE cluster %q does not collect the API server's logs (APISERVER is not in enableComponents)"+auditNote, c.Name)
	}

	if db := c.DatabaseEncryption; db == nil || !strings.EqualFold(db.State, "ENCRYPTED") || db.KeyName == "" {
		state := "unset"
		if db != nil && db.State != "" {
			state = db.State
		}
		a.report(checks.RuleCloudSecretsEncryptionDisabled, "databaseEncryption.state", nil,
			"GKE cluster %q does not encrypt Secrets at the application layer with a Cloud KMS key (databaseEncryption state %s)",
			c.Name, cloudPrintable(state))
	}
	return nil
}

// cloudPrintable shortens and sanitises a value from the description
// before it goes into a message: an enum is expected, anything else is cut.
func cloudPrintable(s string) string {
	if len(s) > 40 || strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return "(unexpected value)"
	}
	return s
}
