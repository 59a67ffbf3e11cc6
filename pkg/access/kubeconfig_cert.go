package access

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kharden/kharden/pkg/checks"
)

// mastersGroup is the group the API server lets past every authorization
// check.
const mastersGroup = "system:masters"

// maxCertFileBytes bounds a client certificate file.
const maxCertFileBytes = 1 << 20

// clientCertificate audits the client certificate of a user, if it has one:
// client-certificate-data, else the file client-certificate names (relative
// to the kubeconfig's directory). A certificate that cannot be read or
// parsed is a problem of the audit, not a finding.
func (a *kubeconfigAudit) clientCertificate(name string, line int, u *clientcmdapi.AuthInfo) {
	field, from := "client-certificate-data", "client certificate"
	data := u.ClientCertificateData
	if len(data) == 0 {
		if u.ClientCertificate == "" {
			return
		}
		field, from = "client-certificate", fmt.Sprintf("client certificate %q", u.ClientCertificate)
		p := u.ClientCertificate
		if !filepath.IsAbs(p) {
			p = filepath.Join(a.dir, p)
		}
		var err error
		if data, err = kcReadRegularFile(p, maxCertFileBytes); err != nil {
			a.problem(line, "%s: cannot read client certificate %s: %v", kcUserPath(name, field), p, err)
			return
		}
	}
	cert, err := kcParseLeafCertificate(data)
	if err != nil {
		a.problem(line, "%s: %v", kcUserPath(name, field), err)
		return
	}
	kind, path := checks.KindKubeconfigUser.Kind, kcUserPath(name, field)
	who := fmt.Sprintf("%s of user %q (%s)", from, name, kcSubject(cert))
	if a.now.After(cert.NotAfter) {
		a.report(checks.RuleKubeconfigClientCertExpired, kind, name, line, path,
			fmt.Sprintf("%s expired on %s", who, cert.NotAfter.UTC().Format(time.RFC3339)))
	}
	if kcLongLived(cert) {
		validity := cert.NotAfter.Sub(cert.NotBefore)
		a.report(checks.RuleKubeconfigClientCertLong, kind, name, line, path,
			fmt.Sprintf("%s is valid for %d days (%s to %s) and cannot be revoked", who, int(validity.Hours()/24),
				cert.NotBefore.UTC().Format(time.DateOnly), cert.NotAfter.UTC().Format(time.DateOnly)))
	}
	if slices.Contains(cert.Subject.Organization, mastersGroup) {
		a.report(checks.RuleKubeconfigClientCertMasters, kind, name, line, path,
			fmt.Sprintf("%s is in group %s, which bypasses RBAC", who, mastersGroup))
	}
}

// kcLongLived reports whether a certificate is valid for more than a year:
// NotAfter later than a year and a day after NotBefore. The day covers leap
// years and issuers (kubeadm) that backdate NotBefore by a few minutes.
func kcLongLived(c *x509.Certificate) bool {
	return c.NotAfter.After(c.NotBefore.AddDate(1, 0, 1))
}

// kcParseLeafCertificate parses the first certificate of a PEM bundle (the
// client's own; the rest is its chain). Errors say what is wrong without
// quoting the data.
func kcParseLeafCertificate(data []byte) (*x509.Certificate, error) {
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("no PEM certificate found")
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			// x509's messages describe the structure, never the bytes.
			return nil, fmt.Errorf("not a valid X.509 certificate: %w", err)
		}
		return cert, nil
	}
}

// kcSubject renders the identity the API server reads from a certificate:
// user (CN) and groups (O).
func kcSubject(c *x509.Certificate) string {
	s := "CN=" + c.Subject.CommonName
	if len(c.Subject.Organization) > 0 {
		s += ", O=" + strings.Join(c.Subject.Organization, "+")
	}
	return s
}
