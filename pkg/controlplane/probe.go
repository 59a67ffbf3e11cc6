package controlplane

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"k8s.io/client-go/rest"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// ProbeResult is the answer of the API server to one anonymous request, or
// (Path "address", Status 0) what its host name resolves to.
type ProbeResult struct {
	Path    string
	Status  int
	Meaning string
}

// probePaths are requested anonymously, in this order. /api and /apis list
// the cluster's resources: only anonymous access there is a finding. /version
// and /healthz are open to everyone by the default
// system:public-info-viewer binding.
var probePaths = []string{"/api", "/apis", "/version", "/healthz"}

// probeDefaultTimeout bounds ProbeLive when the caller gives no timeout.
const probeDefaultTimeout = 10 * time.Second

// KindLiveCluster is the object kind of findings from a live probe: the
// cluster behind a kubeconfig, named by its server's host and port.
const KindLiveCluster = "Cluster"

// ProbeLive asks the API server of cfg, without credentials (only its CA,
// and skipping verification only where cfg does), for /api, /apis, /version
// and /healthz, and resolves the server's host. A 200 on /api or /apis is an
// apiserver-anonymous-auth finding; a host that resolves to a public address
// (not private, loopback, link-local, CGNAT or reserved) is an
// apiserver-public-endpoint finding. An unreachable server is a one-line
// error within timeout.
func ProbeLive(ctx context.Context, cfg *rest.Config, timeout time.Duration) ([]finding.Finding, []ProbeResult, error) {
	return probeLive(ctx, cfg, timeout, probeNetResolver{})
}

// probeLive is ProbeLive with the resolver as a parameter, for tests.
func probeLive(ctx context.Context, cfg *rest.Config, timeout time.Duration, resolver probeResolver) ([]finding.Finding, []ProbeResult, error) {
	if cfg == nil || cfg.Host == "" {
		return nil, nil, errors.New("live probe: no API server address in the kubeconfig")
	}
	if timeout <= 0 {
		timeout = probeDefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	anon := rest.AnonymousClientConfig(cfg)
	anon.Timeout = timeout
	base, _, err := rest.DefaultServerUrlFor(anon)
	if err != nil {
		return nil, nil, fmt.Errorf("live probe: server address: %s", probeOneLine(err))
	}
	base.User = nil // credentials in the URL are never sent nor printed
	client, err := rest.HTTPClientFor(anon)
	if err != nil {
		return nil, nil, fmt.Errorf("live probe of %s: %s", base.Redacted(), probeOneLine(err))
	}

	var results []ProbeResult
	var open []string
	for _, p := range probePaths {
		status, err := probeGet(ctx, client, base, p)
		if err != nil {
			if ctx.Err() != nil {
				err = fmt.Errorf("no answer within %s", timeout)
			}
			return nil, results, fmt.Errorf("live probe of %s: GET %s: %s", base.Redacted(), p, probeOneLine(err))
		}
		results = append(results, ProbeResult{Path: p, Status: status, Meaning: probeMeaning(p, status)})
		if status == http.StatusOK && (p == "/api" || p == "/apis") {
			open = append(open, p)
		}
	}

	obj := finding.ObjectRef{Kind: KindLiveCluster, Name: base.Host}
	var fs []finding.Finding
	if len(open) > 0 {
		fs = append(fs, probeFinding(checks.RuleAPIServerAnonymousAuth, obj, "GET "+open[0],
			fmt.Sprintf("the API server at %s answers anonymous GET %s with 200: anonymous requests are authenticated "+
				"as system:anonymous and authorized to list the cluster's resources", base.Host, strings.Join(open, " and "))))
	}
	addr, public := probeAddress(ctx, resolver, base.Hostname())
	results = append(results, addr)
	if len(public) > 0 {
		fs = append(fs, probeFinding(checks.RuleAPIServerPublicEndpoint, obj, "server",
			fmt.Sprintf("the API server host %s resolves to public address %s; whether a firewall or CIDR list limits "+
				"who reaches it cannot be seen from here", base.Hostname(), strings.Join(public, ", "))))
	}
	return fs, results, nil
}

// probeGet sends one anonymous GET and returns the status.
func probeGet(ctx context.Context, client *http.Client, base *url.URL, p string) (int, error) {
	u := *base
	u.Path = path.Join("/", base.Path, p)
	u.RawPath = ""
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	// Drained (a little) so the connection is reused; the body is not used.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}

// probeMeaning explains a status of an anonymous request to path.
func probeMeaning(p string, status int) string {
	switch status {
	case http.StatusOK:
		if p == "/version" || p == "/healthz" {
			return "anonymous request allowed: expected, the default system:public-info-viewer binding opens it to everyone"
		}
		return "anonymous request allowed: anonymous authentication is on and system:anonymous may list resources"
	case http.StatusUnauthorized:
		return "anonymous request rejected: anonymous authentication is off (or not enabled for this path)"
	case http.StatusForbidden:
		return "anonymous authentication is on, but authorization denies system:anonymous this path"
	}
	return fmt.Sprintf("unexpected status %d", status)
}

// probeFinding builds a live-probe finding of rule id.
func probeFinding(id finding.RuleID, obj finding.ObjectRef, path, msg string) finding.Finding {
	c := cloudRule(id)
	f := finding.Finding{
		Rule:        c.ID,
		Category:    c.Category,
		Severity:    c.Severity,
		Object:      obj,
		Path:        path,
		Message:     msg,
		Remediation: c.Remediation,
		References:  c.References,
	}
	f.Fingerprint = f.ComputeFingerprint()
	return f
}

// probeOneLine flattens an error message to one line.
func probeOneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
