package netpol

import (
	"fmt"
	"net/netip"
	"strings"
)

// Resolve reads an endpoint as users write it: NAMESPACE/NAME (a pod, or
// the pods of a workload of that name), NAMESPACE/KIND/NAME, or ip:ADDRESS
// for a peer outside the cluster. Several workloads may answer to one
// name (a Deployment and a Service-less Pod both named web).
func (m *Model) Resolve(spec string) ([]Endpoint, error) {
	if rest, ok := strings.CutPrefix(spec, "ip:"); ok {
		a, err := netip.ParseAddr(rest)
		if err != nil {
			return nil, fmt.Errorf("endpoint %q: %q is not an IP address", spec, rest)
		}
		return []Endpoint{{IP: a.Unmap()}}, nil
	}
	parts := strings.Split(spec, "/")
	var ns, kind, name string
	switch len(parts) {
	case 2:
		ns, name = parts[0], parts[1]
	case 3:
		ns, kind, name = parts[0], parts[1], parts[2]
	default:
		return nil, fmt.Errorf("endpoint %q: write NAMESPACE/NAME, NAMESPACE/KIND/NAME or ip:ADDRESS", spec)
	}
	if ns == "" || name == "" {
		return nil, fmt.Errorf("endpoint %q: namespace and name are required", spec)
	}
	var out []Endpoint
	for _, w := range m.Workloads {
		if w.Ref.Namespace != ns {
			continue
		}
		for _, ref := range [...]struct{ kind, name string }{{w.Ref.Kind, w.Ref.Name}, {w.Owner.Kind, w.Owner.Name}} {
			if ref.name == name && (kind == "" || strings.EqualFold(ref.kind, kind)) {
				out = append(out, Endpoint{Workload: w})
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("endpoint %q: no pod or workload of that name in namespace %s", spec, ns)
	}
	return out, nil
}
