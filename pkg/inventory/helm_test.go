package inventory

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
)

func TestHelm(t *testing.T) {
	chart := filepath.Join("testdata", "charts", "app")
	pkgDir := t.TempDir()
	ch, err := loader.Load(chart)
	if err != nil {
		t.Fatal(err)
	}
	tgz, err := chartutil.Save(ch, pkgDir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		path     string
		helm     HelmOptions
		want     []string // kind/name@file
		wantDiag string
		check    func(t *testing.T, inv *Inventory)
	}{
		{
			name: "defaults",
			path: chart,
			want: []string{
				"CustomResourceDefinition/widgets.example.com@" + chart + "/crds/widget.yaml",
				"Service/release-name-app@" + chart + "/templates/service.yaml",
				"Deployment/release-name-app@" + chart + "/templates/deployment.yaml",
				"Job/release-name-app-migrate@" + chart + "/templates/hook.yaml",
			},
			check: func(t *testing.T, inv *Inventory) {
				d := inv.ByKind(KindDeployment)[0]
				if d.Ref.Namespace != "default" || d.Content["spec"].(map[string]any)["replicas"] != int64(1) {
					t.Errorf("deployment: namespace %q, spec %v", d.Ref.Namespace, d.Content["spec"])
				}
				if d.Origin != OriginHelm || d.Source.Line != 0 {
					t.Errorf("origin %s line %d", d.Origin, d.Source.Line)
				}
				if _, _, ok := d.FieldPosition("spec.replicas"); ok {
					t.Error("a Helm object has field lines")
				}
			},
		},
		{
			name: "values, set, set-string, namespace, release, api versions",
			path: chart,
			helm: HelmOptions{
				ValuesFiles: []string{filepath.Join("testdata", "charts", "values-prod.yaml")},
				Set:         []string{"image.tag=2.0.0"},
				SetString:   []string{"replicas=5"},
				ReleaseName: "shop",
				Namespace:   "prod",
				APIVersions: []string{"monitoring.coreos.com/v1"},
			},
			want: []string{
				"CustomResourceDefinition/widgets.example.com@" + chart + "/crds/widget.yaml",
				"Deployment/shop-app@" + chart + "/templates/deployment.yaml",
				"ServiceMonitor/shop-app@" + chart + "/templates/deployment.yaml",
				"Job/shop-app-migrate@" + chart + "/templates/hook.yaml",
			},
			check: func(t *testing.T, inv *Inventory) {
				d := inv.ByKind(KindDeployment)[0]
				if d.Ref.Namespace != "prod" {
					t.Errorf("namespace %q", d.Ref.Namespace)
				}
				// --set-string keeps a string, as helm template prints "5" quoted... as a number
				if r := d.Content["spec"].(map[string]any)["replicas"]; r != int64(5) {
					t.Errorf("replicas = %#v", r)
				}
				c := SliceAt(d.Content, "spec", "template", "spec", "containers")[0].(map[string]any)
				if c["image"] != "registry.example.com/web:2.0.0" {
					t.Errorf("image = %v", c["image"])
				}
			},
		},
		{
			name:     "kubeVersion constraint not met",
			path:     chart,
			helm:     HelmOptions{KubeVersion: "v1.20.0"},
			wantDiag: "Helm chart failed to render: chart requires kubeVersion",
		},
		{
			name: "packaged chart",
			path: tgz,
			want: []string{
				"CustomResourceDefinition/widgets.example.com@" + tgz + "/crds/widget.yaml",
				"Service/release-name-app@" + tgz + "/templates/service.yaml",
				"Deployment/release-name-app@" + tgz + "/templates/deployment.yaml",
				"Job/release-name-app-migrate@" + tgz + "/templates/hook.yaml",
			},
		},
		{
			name:     "render failure is one error naming the chart",
			path:     filepath.Join("testdata", "charts", "broken"),
			wantDiag: "Helm chart failed to render: execution error at (broken/templates/cm.yaml:4:11): a name is required",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := load(t, LoadOptions{Paths: []string{tt.path}, Helm: tt.helm})
			var got []string
			for _, o := range inv.Objects {
				got = append(got, o.Ref.Kind+"/"+o.Ref.Name+"@"+filepath.ToSlash(o.Source.File))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("objects:\n got %q\nwant %q", got, tt.want)
			}
			if tt.wantDiag == "" {
				if len(inv.Diagnostics) != 0 {
					t.Errorf("diagnostics: %v", inv.Diagnostics)
				}
			} else if len(inv.Diagnostics) != 1 || !strings.HasPrefix(inv.Diagnostics[0].Message, tt.wantDiag) || inv.Diagnostics[0].File != tt.path || inv.Diagnostics[0].Warning {
				t.Errorf("diagnostics = %v, want one error %q", inv.Diagnostics, tt.wantDiag)
			}
			if tt.check != nil && len(inv.Objects) > 0 {
				tt.check(t, inv)
			}
		})
	}
}
