package netpol_test

import (
	"context"
	"testing"

	"github.com/kharden/kharden/pkg/analysis/netpol"
	"github.com/kharden/kharden/pkg/inventory"
)

func model(t *testing.T, path string) *netpol.Model {
	t.Helper()
	inv, err := inventory.Load(context.Background(), inventory.LoadOptions{Paths: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	if errs := inv.Errors(); len(errs) > 0 {
		t.Fatal(errs)
	}
	return netpol.Build(inv)
}

func one(t *testing.T, m *netpol.Model, spec string) netpol.Endpoint {
	t.Helper()
	eps, err := m.Resolve(spec)
	if err != nil || len(eps) != 1 {
		t.Fatalf("resolve %s: %v %v", spec, eps, err)
	}
	return eps[0]
}

func TestSmoke(t *testing.T) {
	m := model(t, "testdata/smoke.yaml")
	for _, p := range m.Problems {
		t.Errorf("problem: %s", p)
	}
	cases := []struct {
		from, to string
		port     int32
		proto    string
		want     bool
	}{
		{"shop/web", "shop/db", 5432, "TCP", true},
		{"shop/web", "shop/db", 5433, "TCP", false},
		{"shop/web", "shop/db", 5432, "UDP", false},
		{"shop/db", "shop/web", 8080, "TCP", false},
		{"monitoring/prometheus", "shop/db", 5432, "TCP", true},
		{"monitoring/prometheus", "shop/db", 9187, "TCP", true},
		{"monitoring/prometheus", "shop/web", 8080, "TCP", false},
		{"shop/web", "ip:1.1.1.1", 443, "TCP", true},
		{"shop/web", "ip:169.254.169.254", 443, "TCP", false},
		{"shop/db", "ip:1.1.1.1", 443, "TCP", false},
		{"ip:1.1.1.1", "monitoring/prometheus", 9090, "TCP", true},
		{"monitoring/prometheus", "ip:10.0.0.1", 53, "UDP", true},
	}
	for _, c := range cases {
		d := m.Reach(one(t, m, c.from), one(t, m, c.to), netpol.Conn{Port: c.port, Protocol: c.proto})
		if d.Allowed != c.want {
			t.Errorf("%s -> %s %d/%s: allowed=%v want %v (%+v)", c.from, c.to, c.port, c.proto, d.Allowed, c.want, d)
		}
	}
	if len(m.Classes) != 3 {
		t.Errorf("want 3 classes, got %d", len(m.Classes))
	}
}
