package pss

import (
	"testing"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// benchSpec is a typical production Deployment pod: an app container with
// probes, resources and a hardened securityContext, a sidecar, an init
// container and a few volumes.
const benchSpec = `{
 "serviceAccountName":"web",
 "securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"},"fsGroup":2000},
 "initContainers":[{"name":"migrate","image":"registry.example.com/web:1.4.2","command":["/app/migrate"],
   "securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}],
 "containers":[
  {"name":"web","image":"registry.example.com/web:1.4.2","ports":[{"containerPort":8080,"name":"http"}],
   "env":[{"name":"MODE","value":"prod"},{"name":"DB_PASSWORD","valueFrom":{"secretKeyRef":{"name":"db","key":"password"}}}],
   "resources":{"requests":{"cpu":"100m","memory":"128Mi"},"limits":{"cpu":"1","memory":"512Mi"}},
   "livenessProbe":{"httpGet":{"path":"/healthz","port":8080},"periodSeconds":10},
   "readinessProbe":{"httpGet":{"path":"/ready","port":"http"}},
   "volumeMounts":[{"name":"tmp","mountPath":"/tmp"},{"name":"config","mountPath":"/etc/web"}],
   "securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}}},
  {"name":"proxy","image":"registry.example.com/proxy:2.0.1","ports":[{"containerPort":9000}],
   "resources":{"limits":{"cpu":"200m","memory":"64Mi"}},
   "securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"],"add":["NET_BIND_SERVICE"]}}}],
 "volumes":[{"name":"tmp","emptyDir":{}},{"name":"config","configMap":{"name":"web"}},
   {"name":"token","projected":{"sources":[{"serviceAccountToken":{"path":"token","expirationSeconds":3600}}]}}]
}`

// BenchmarkEvaluate measures one restricted evaluation of a typical pod
// template, decoding included (go test -bench Evaluate -benchmem ./pkg/pss/).
func BenchmarkEvaluate(b *testing.B) {
	e, _ := NewEvaluator("latest")
	cases := []struct {
		name string
		tmpl inventory.PodTemplate
	}{
		{"typical", inventory.PodTemplate{
			Meta: fromJSON(b, `{"labels":{"app":"web","team":"payments"},"annotations":{"prometheus.io/scrape":"true"}}`),
			Spec: fromJSON(b, benchSpec), SpecPath: "spec.template.spec"}},
		{"ill-typed", inventory.PodTemplate{
			Spec:     fromJSON(b, `{"securityContext":{"runAsUser":"0"},"containers":[{"name":"a","securityContext":{"privileged":true}}]}`),
			SpecPath: "spec"}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = e.Evaluate(c.tmpl, finding.LevelRestricted)
			}
		})
	}
}
