package lab

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"time"

	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
)

// Certificate file names under pki/.
const (
	caCert      = "ca.crt"
	caKey       = "ca.key"
	servingCert = "apiserver.crt"
	servingKey  = "apiserver.key"
	adminCert   = "admin.crt"
	adminKey    = "admin.key"
	kcmCert     = "controller-manager.crt"
	kcmKey      = "controller-manager.key"
	saKey       = "sa.key"
	saPub       = "sa.pub"
)

// AdminUser is the lab admin's user name; it is in system:masters.
const AdminUser = "kharden-lab-admin"

// certValidity is long enough for a lab kept for months, short enough not to
// look like a production habit.
const certValidity = 365 * 24 * time.Hour

// ensureCerts creates the lab's PKI once: a CA, the API server's serving
// certificate (127.0.0.1, ::1, localhost and the in-cluster names), client
// certificates for the admin (system:masters) and the controller manager,
// and the ServiceAccount signing key. Existing files are kept so a
// kubeconfig handed out earlier stays valid across down/up.
func (l *Lab) ensureCerts() error {
	if _, err := os.Stat(l.certPath(saPub)); err == nil {
		return nil
	}
	if err := os.MkdirAll(l.path("pki"), 0o700); err != nil {
		return err
	}
	caSigner, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	ca, err := certutil.NewSelfSignedCACert(certutil.Config{CommonName: "kharden-lab-ca", Organization: []string{"kharden lab"}}, caSigner)
	if err != nil {
		return err
	}
	if err := writeCertKey(l.certPath(caCert), l.certPath(caKey), ca, caSigner); err != nil {
		return err
	}
	serving := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		DNSNames:    []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback, net.ParseIP(serviceIP)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if err := l.issue(serving, ca, caSigner, servingCert, servingKey); err != nil {
		return err
	}
	admin := &x509.Certificate{
		Subject:     pkix.Name{CommonName: AdminUser, Organization: []string{"system:masters"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if err := l.issue(admin, ca, caSigner, adminCert, adminKey); err != nil {
		return err
	}
	// The controller manager authenticates as itself: the bootstrap RBAC
	// policy grants system:kube-controller-manager what it needs.
	kcm := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "system:kube-controller-manager"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if err := l.issue(kcm, ca, caSigner, kcmCert, kcmKey); err != nil {
		return err
	}
	sa, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	keyPEM, err := keyutil.MarshalPrivateKeyToPEM(sa)
	if err != nil {
		return err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&sa.PublicKey)
	if err != nil {
		return err
	}
	if err := keyutil.WriteKey(l.certPath(saKey), keyPEM); err != nil {
		return err
	}
	// Written last: its presence marks a complete PKI.
	return os.WriteFile(l.certPath(saPub), pemBlock("PUBLIC KEY", pubDER), 0o600)
}

// issue signs a leaf certificate for a fresh P-256 key with the CA.
func (l *Lab) issue(tmpl, ca *x509.Certificate, caSigner crypto.Signer, certName, keyName string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl.SerialNumber = serial
	tmpl.NotBefore = now.Add(-time.Hour)
	tmpl.NotAfter = now.Add(certValidity)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caSigner)
	if err != nil {
		return fmt.Errorf("signing %s: %w", certName, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	return writeCertKey(l.certPath(certName), l.certPath(keyName), leaf, key)
}

func writeCertKey(certFile, keyFile string, c *x509.Certificate, key crypto.PrivateKey) error {
	certPEM, err := certutil.EncodeCertificates(c)
	if err != nil {
		return err
	}
	keyPEM, err := keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		return err
	}
	if err := certutil.WriteCert(certFile, certPEM); err != nil {
		return err
	}
	return keyutil.WriteKey(keyFile, keyPEM)
}

// readPKI returns the CA certificate and the admin client certificate and
// key, PEM-encoded, for kubeconfigs.
func (l *Lab) readPKI(certName, keyName string) (ca, cert, key []byte, err error) {
	if ca, err = os.ReadFile(l.certPath(caCert)); err != nil {
		return nil, nil, nil, err
	}
	if cert, err = os.ReadFile(l.certPath(certName)); err != nil {
		return nil, nil, nil, err
	}
	if key, err = os.ReadFile(l.certPath(keyName)); err != nil {
		return nil, nil, nil, err
	}
	if len(ca) == 0 || len(cert) == 0 || len(key) == 0 {
		return nil, nil, nil, errors.New("lab PKI is incomplete: run `kharden lab down --purge` and `kharden lab up`")
	}
	return ca, cert, key, nil
}
