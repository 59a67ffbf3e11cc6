package access

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kharden/kharden/pkg/checks"
)

// user audits one users[] entry: the credential it holds. Only facts are
// written into messages (field names, file names, certificate subjects and
// dates), never a token, password, key or certificate.
func (a *kubeconfigAudit) user(name string, line int, u *clientcmdapi.AuthInfo) {
	kind := checks.KindKubeconfigUser.Kind
	if u.Token != "" {
		a.report(checks.RuleKubeconfigStaticToken, kind, name, line, kcUserPath(name, "token"),
			fmt.Sprintf("user %q authenticates with a static bearer token written in the kubeconfig", name))
	}
	if u.TokenFile != "" {
		a.report(checks.RuleKubeconfigStaticToken, kind, name, line, kcUserPath(name, "tokenFile"),
			fmt.Sprintf("user %q authenticates with a static bearer token read from %q", name, u.TokenFile))
	}
	if u.Username != "" || u.Password != "" {
		field := "password"
		if u.Password == "" {
			field = "username"
		}
		a.report(checks.RuleKubeconfigBasicAuth, kind, name, line, kcUserPath(name, field),
			fmt.Sprintf("user %q authenticates with a username and password (basic authentication)", name))
	}
	a.clientCertificate(name, line, u)
	switch {
	case u.Exec != nil:
		a.report(checks.RuleKubeconfigExecCredential, kind, name, line, kcUserPath(name, "exec"),
			fmt.Sprintf("user %q gets short-lived credentials from exec plugin %q", name, kcCommandName(u.Exec.Command)))
	case u.AuthProvider != nil && u.AuthProvider.Name == "oidc":
		a.report(checks.RuleKubeconfigExecCredential, kind, name, line, kcUserPath(name, "auth-provider"),
			fmt.Sprintf("user %q logs in through the oidc auth provider (short-lived ID tokens)", name))
	}
}

// kcCommandName is the program an exec plugin runs, without its directory:
// enough to tell kubelogin from aws, and nothing of its arguments or
// environment, which may hold secrets.
func kcCommandName(cmd string) string {
	base := filepath.Base(strings.ReplaceAll(cmd, `\`, "/"))
	if base == "." || base == "/" {
		return cmd
	}
	return base
}

// cluster audits one clusters[] entry: how the client reaches the server.
func (a *kubeconfigAudit) cluster(name string, line int, c *clientcmdapi.Cluster) {
	kind := checks.KindKubeconfigCluster.Kind
	if c.InsecureSkipTLSVerify {
		a.report(checks.RuleKubeconfigInsecureSkipVerify, kind, name, line, kcClusterPath(name, "insecure-skip-tls-verify"),
			fmt.Sprintf("cluster %q: TLS certificate verification is disabled (insecure-skip-tls-verify: true)", name))
	}
	if u, err := url.Parse(strings.TrimSpace(c.Server)); err == nil && strings.EqualFold(u.Scheme, "http") {
		// Only scheme and host: a URL can carry a password or a token in
		// its user info or query.
		a.report(checks.RuleKubeconfigPlainHTTP, kind, name, line, kcClusterPath(name, "server"),
			fmt.Sprintf("cluster %q: server http://%s is plain HTTP, without TLS", name, u.Host))
	}
}

// kcUserPath and kcClusterPath name a field of an entry.
func kcUserPath(name, field string) string    { return "users[name=" + name + "].user." + field }
func kcClusterPath(name, field string) string { return "clusters[name=" + name + "].cluster." + field }
