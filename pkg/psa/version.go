package psa

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	api "k8s.io/pod-security-admission/api"
)

// ServerVersion is the API server's version as it reports it ("v1.33.4",
// "v1.30.2-eks-1552ad0").
func ServerVersion(ctx context.Context, cfg *rest.Config) (string, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return "", err
	}
	return ServerVersionOf(ctx, cs)
}

// ServerVersionOf is ServerVersion with a client at hand.
func ServerVersionOf(ctx context.Context, cs kubernetes.Interface) (string, error) {
	info, err := discovery.ToServerVersionInterfaceWithContext(cs.Discovery()).ServerVersionWithContext(ctx)
	if err != nil {
		return "", fmt.Errorf("server version: %w", err)
	}
	return info.GitVersion, nil
}

// ForServer is the Pod Security Standards version to evaluate and pin for a
// cluster whose API server reports server. The cluster's Pod Security
// Admission knows the versions up to its own: "latest" (or "") there means
// its own version, so kharden evaluates and pins that, and never a newer
// one the cluster would read as its latest anyway. An explicit "v1.N" is
// kept as asked, with a note when the cluster is older. When the server
// version cannot be read, the request stands as it would offline.
func ForServer(requested, server string) (pinned, note string, err error) {
	own, err := PinnedVersion(requested)
	if err != nil {
		return "", "", err
	}
	sv, perr := version.ParseGeneric(server)
	if perr != nil {
		return own, fmt.Sprintf("the API server reports version %q, which kharden cannot read: Pod Security Standards %s used", server, own), nil
	}
	serverPSS := fmt.Sprintf("v%d.%d", sv.Major(), sv.Minor())
	ownV, _ := api.ParseVersion(own)
	srvV, err := api.ParseVersion(serverPSS)
	if err != nil {
		return own, fmt.Sprintf("the API server's version %s is not a Pod Security Standards version: %s used", server, own), nil
	}
	if requested == "" || requested == "latest" {
		switch {
		case srvV.Older(ownV):
			return serverPSS, "", nil
		case ownV.Older(srvV):
			return own, fmt.Sprintf("the cluster runs %s, newer than the Pod Security Standards kharden knows (%s): labels pinned to %s", server, own, own), nil
		}
		return own, "", nil
	}
	if srvV.Older(ownV) {
		return own, fmt.Sprintf("the cluster runs %s and knows Pod Security Standards up to %s: it evaluates %s labels as its latest (%s)", server, serverPSS, own, serverPSS), nil
	}
	return own, "", nil
}
