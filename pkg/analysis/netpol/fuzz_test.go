package netpol_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/analysis/netpol"
	"github.com/kharden/kharden/pkg/inventory"
)

// FuzzBuild: any YAML builds a model or is refused by the loader, never a
// panic; the model's problems name their object; the summary agrees with
// Reach on the model built; endpoint names resolve or fail with an error.
func FuzzBuild(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	truth, _ := filepath.Glob("testdata/truth/*.yaml")
	for _, p := range append(files, truth...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, "shop/web")
		}
	}
	f.Add([]byte("kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: x}\nspec:\n  podSelector: {matchExpressions: [{key: a, operator: Gt, values: [x]}]}\n"), "default/x")
	f.Add([]byte("kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: x, namespace: a}\nspec:\n  egress: [{to: [{ipBlock: {cidr: '::ffff:10.0.0.0/104', except: ['10.0.0.0/8']}}], ports: [{port: 70000}, {protocol: ICMP}, {port: a, endPort: 3}]}]\n"), "ip:::1")
	f.Fuzz(func(t *testing.T, data []byte, spec string) {
		inv, err := inventory.Load(context.Background(), inventory.LoadOptions{Paths: []string{"-"}, Stdin: bytes.NewReader(data)})
		if err != nil {
			return
		}
		m := netpol.Build(inv)
		for _, p := range m.Problems {
			if p.Message == "" || p.Object.Kind == "" || !strings.Contains(p.String(), inventory.StdinName) {
				t.Fatalf("problem without a message or a location: %+v", p)
			}
		}
		s := netpol.Summarize(m)
		const maxClasses = 12
		for i, src := range m.Classes {
			for j, dst := range m.Classes {
				if i >= maxClasses || j >= maxClasses {
					break
				}
				for _, proto := range netpol.Protocols {
					d := m.Reach(endpoint(src), endpoint(dst), netpol.Conn{Protocol: proto})
					if d.Allowed != s.Reaches(src, dst, proto) {
						t.Fatalf("%s -> %s %s: summary and Reach disagree", name(src), name(dst), proto)
					}
				}
			}
		}
		if eps, err := m.Resolve(spec); err == nil {
			if len(eps) == 0 {
				t.Fatal("Resolve found nothing without an error")
			}
			for _, c := range m.Classes {
				m.Reach(eps[0], endpoint(c), netpol.Conn{Port: 80, Protocol: netpol.UDP})
			}
		} else if err.Error() == "" {
			t.Fatal("empty error")
		}
	})
}
