package dns

import (
	"bytes"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// maxDomainCache bounds the registered-domain cache; it is emptied when
// full.
const maxDomainCache = 1 << 16

// domains splits names into the registered domain (eTLD+1 by the public
// suffix list) and the labels left of it, caching by the last three
// labels.
type domains struct {
	ignore []string
	cache  map[string]int // last three labels -> labels of the registered domain
}

func newDomains(ignore []string) *domains {
	d := &domains{cache: map[string]int{}}
	for _, s := range ignore {
		s = strings.ToLower(strings.TrimPrefix(s, "."))
		if !strings.HasSuffix(s, ".") {
			s += "."
		}
		d.ignore = append(d.ignore, s)
	}
	return d
}

// ignored returns the ignore suffix name falls under, or "".
func (d *domains) ignored(name []byte) string {
	for _, s := range d.ignore {
		if len(name) >= len(s) && string(name[len(name)-len(s):]) == s &&
			(len(name) == len(s) || name[len(name)-len(s)-1] == '.') {
			return s
		}
	}
	return ""
}

// split returns the registered domain (with its final dot) and the part
// left of it (without the separating dot); ok is false for names that are
// a public suffix or not a domain name.
func (d *domains) split(name []byte) (registered, sub []byte, ok bool) {
	n := bytes.TrimSuffix(name, []byte("."))
	if len(n) == 0 {
		return nil, nil, false
	}
	// The last three labels.
	start, dots := len(n), 0
	for start > 0 && dots < 3 {
		start--
		if n[start] == '.' {
			dots++
		}
	}
	if dots == 3 {
		start++
	}
	tail := n[start:]
	labels, hit := d.cache[string(tail)]
	if !hit {
		etld1, err := publicsuffix.EffectiveTLDPlusOne(string(tail))
		if err != nil {
			labels = 0
		} else {
			labels = strings.Count(etld1, ".") + 1
		}
		if len(d.cache) >= maxDomainCache {
			clear(d.cache)
		}
		d.cache[string(tail)] = labels
	}
	if labels == 0 {
		return nil, nil, false
	}
	// Cut labels off the right.
	cut, seen := len(n), 0
	for cut > 0 {
		cut--
		if n[cut] == '.' {
			seen++
			if seen == labels {
				break
			}
		}
	}
	if seen < labels { // the whole name is the registered domain
		return name, nil, true
	}
	return name[cut+1:], n[:cut], true
}

// searchPathExpansion reports whether an NXDOMAIN name is a resolver
// search-path try: a name with dots (an external name, or
// service.namespace) with a cluster search domain appended, such as
// api.stripe.com.shop.svc.cluster.local. — pods with ndots:5 ask these
// before the name itself, and NXDOMAIN is the expected answer.
func (d *domains) searchPathExpansion(name []byte, suffix string) bool {
	if strings.HasSuffix(suffix, "arpa.") {
		return false
	}
	p := bytes.TrimSuffix(name[:len(name)-len(suffix)], []byte("."))
	labels := bytes.Count(p, []byte(".")) + 1
	if len(p) == 0 {
		return false
	}
	if bytes.HasSuffix(p, []byte(".svc")) {
		// name.namespace.svc is a service; more labels are an expansion
		// of a dotted name with <namespace>.svc appended, fewer of a name
		// with svc appended. Three labels whose middle one is a top-level
		// domain (google.com.svc) are an external name with svc appended:
		// a missing service in a namespace named like a TLD is not
		// counted.
		if labels == 3 {
			mid := p[bytes.IndexByte(p, '.')+1 : len(p)-len(".svc")]
			_, icann := publicsuffix.PublicSuffix(string(mid))
			return icann
		}
		return true
	}
	// Neither svc nor pod form: a dotted name with the cluster domain
	// appended.
	return labels >= 2
}
