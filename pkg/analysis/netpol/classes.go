package netpol

import (
	"sort"
	"strconv"
	"strings"
)

// group puts the workloads into classes of equal namespace, labels and
// ports.
func (m *Model) group() {
	byKey := map[string]*Class{}
	for _, w := range m.Workloads {
		k := classKey(w)
		c := byKey[k]
		if c == nil {
			c = &Class{ID: len(m.Classes), Namespace: w.Namespace, Labels: w.Labels, Ports: w.Ports}
			byKey[k] = c
			m.Classes = append(m.Classes, c)
		}
		c.Workloads = append(c.Workloads, w)
		w.Class = c
	}
}

func classKey(w *Workload) string {
	var b strings.Builder
	b.WriteString(w.Namespace.Name)
	b.WriteByte(0)
	keys := make([]string, 0, len(w.Labels))
	for k := range w.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(w.Labels[k])
		b.WriteByte(0)
	}
	b.WriteByte(1)
	ports := make([]string, len(w.Ports))
	for i, p := range w.Ports {
		ports[i] = p.Name + "/" + strconv.Itoa(int(p.Port)) + "/" + p.Protocol
	}
	sort.Strings(ports)
	b.WriteString(strings.Join(ports, ","))
	if w.HostNetwork {
		b.WriteString("\x01host")
	}
	return b.String()
}
