package checks

import (
	"testing"

	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/inventory"
)

// BenchmarkCompileAll compiles every CEL guardrail, as a Runner does at
// start-up (the CEL environment itself is built once per process and is not
// included; TestCELStartup logs the cold cost).
func BenchmarkCompileAll(b *testing.B) {
	for b.Loop() {
		for _, c := range celChecks {
			if _, err := cel.Compile(c.Guardrail); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkEvaluate evaluates every CEL guardrail that applies, on one
// object at a time, over a realistic mix (a Deployment with an init
// container and two containers, a CronJob, a Namespace, an Ingress): the
// per-object cost a scan pays.
func BenchmarkEvaluate(b *testing.B) {
	cfg := config.Default()
	cfg.AllowedRegistries = []string{"ghcr.io/acme", "docker.io/library"}
	params := Params(cfg)
	progs := map[*Check]*cel.Program{}
	for _, c := range celChecks {
		p, err := cel.Compile(c.Guardrail)
		if err != nil {
			b.Fatal(err)
		}
		progs[c] = p
	}
	var objs []*inventory.Object
	for _, f := range []string{
		"testdata/secret-in-env/pass/secret-as-volume.yaml",
		"testdata/missing-probes/pass/probes-set.yaml",
		"testdata/image-latest-tag/fail/init-container-latest.yaml",
		"testdata/namespace-without-psa-labels/pass/enforce-baseline-warn-restricted.yaml",
		"testdata/ingress-without-tls/pass/tls-covers-all.yaml",
	} {
		objs = append(objs, readObjects(b, f)...)
	}
	b.ResetTimer()
	n := 0
	for b.Loop() {
		o := objs[n%len(objs)]
		n++
		in := cel.NewInput(o, params)
		for _, c := range celChecks {
			if !c.AppliesTo(o.GK) {
				continue
			}
			if _, err := progs[c].Evaluate(in); err != nil {
				b.Fatal(err)
			}
		}
	}
}
