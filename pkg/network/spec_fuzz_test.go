package network

import (
	"bytes"
	"errors"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kharden/kharden/pkg/analysis/netpol"
	"github.com/kharden/kharden/pkg/inventory"
)

// FuzzParseSpec: any input gives a spec or a located error, never a
// panic; a spec generates policies that read back without a problem and
// have valid names.
func FuzzParseSpec(f *testing.F) {
	f.Add([]byte("defaultDeny: {namespaces: [a]}\n"))
	f.Add([]byte("egressAllowlist:\n- namespace: a\n  allow:\n  - cidr: 0.0.0.0/0\n    except: [10.0.0.0/8]\n    ports: [443, 53/UDP]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSpec("f.yaml", data)
		if err != nil {
			var se *SpecError
			if !errors.As(err, &se) || se.File != "f.yaml" || se.Message == "" {
				t.Fatalf("error without a place: %v", err)
			}
			return
		}
		res, err := Generate(KindAll, s, nil)
		if err != nil {
			return // names that need the input
		}
		var buf bytes.Buffer
		if err := WriteYAML(&buf, []string{"fuzz"}, PolicyDocs(res.Policies)); err != nil {
			t.Fatal(err)
		}
		objs, diags := inventory.ParseDocuments("out.yaml", buf.Bytes(), inventory.OriginFile)
		if len(diags) > 0 || len(objs) != len(res.Policies) {
			t.Fatalf("output does not read back (%d objects for %d policies): %v\n%s", len(objs), len(res.Policies), diags, buf.String())
		}
		var b inventory.Builder
		for _, o := range objs {
			b.Add(o)
			if errs := validation.IsDNS1123Subdomain(o.Ref.Name); len(errs) > 0 {
				t.Fatalf("invalid name %q: %v", o.Ref.Name, errs)
			}
		}
		if m := netpol.Build(b.Build()); len(m.Problems) > 0 {
			t.Fatalf("generated policies have problems: %v\n%s", m.Problems, buf.String())
		}
	})
}
