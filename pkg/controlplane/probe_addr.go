package controlplane

import (
	"context"
	"net"
	"net/netip"
	"strings"
)

// probeResolver resolves a host name; *net.Resolver is one.
type probeResolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// probeNetResolver is the system's resolver.
type probeNetResolver struct{}

// LookupNetIP resolves host with net.DefaultResolver.
func (probeNetResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, network, host)
}

// probeNonPublic are ranges that are not reachable from the internet beyond
// what netip's IsPrivate, IsLoopback, IsLinkLocal* and IsUnspecified cover.
var probeNonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT (RFC 6598)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
}

// probeIsPublic reports whether an address is reachable from the internet.
func probeIsPublic(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range probeNonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// probeAddress resolves host (an IP literal is taken as is) and returns the
// result to show and the public addresses among the answers. A failed lookup
// is shown, not an error: the HTTP probes have already reached the server
// (perhaps through a proxy).
func probeAddress(ctx context.Context, r probeResolver, host string) (ProbeResult, []string) {
	res := ProbeResult{Path: "address"}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		addrs = []netip.Addr{a}
	} else {
		addrs, err = r.LookupNetIP(ctx, "ip", host)
		if err != nil || len(addrs) == 0 {
			res.Meaning = "could not resolve " + host + ": public or not is unknown"
			if err != nil {
				res.Meaning += " (" + probeOneLine(err) + ")"
			}
			return res, nil
		}
	}
	var public, all []string
	for _, a := range addrs {
		s := a.Unmap().String()
		if probeIsPublic(a) {
			public = append(public, s)
			s += " (public)"
		} else {
			s += " (not public)"
		}
		all = append(all, s)
	}
	res.Meaning = host + " resolves to " + strings.Join(all, ", ")
	return res, public
}
