package inventory

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestKustomize(t *testing.T) {
	base := filepath.Join("testdata", "kustomize", "base")
	prod := filepath.Join("testdata", "kustomize", "overlays", "prod")
	tests := []struct {
		name     string
		path     string
		want     []string
		wantDiag string
	}{
		{
			name: "base",
			path: base,
			want: []string{"Deployment/web@" + base + "/deployment.yaml", "Service/web@" + base + "/service.yaml"},
		},
		{
			name: "overlay names the base files",
			path: prod,
			want: []string{
				"Deployment/prod-web@" + base + "/deployment.yaml",
				"Service/prod-web@" + base + "/service.yaml",
				"ConfigMap/prod-settings@" + prod + "/configmap.yaml",
			},
		},
		{
			name: "walk builds the overlay, not the base it uses",
			path: filepath.Join("testdata", "kustomize"),
			want: []string{
				"Deployment/prod-web@" + base + "/deployment.yaml",
				"Service/prod-web@" + base + "/service.yaml",
				"ConfigMap/prod-settings@" + prod + "/configmap.yaml",
			},
			wantDiag: "Kustomize build failed:",
		},
		{
			name:     "build error is one diagnostic",
			path:     filepath.Join("testdata", "kustomize", "broken"),
			wantDiag: "Kustomize build failed:",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := load(t, LoadOptions{Paths: []string{tt.path}})
			var got []string
			for _, o := range inv.Objects {
				got = append(got, o.Ref.Kind+"/"+o.Ref.Name+"@"+o.Source.File)
				if o.Origin != OriginKustomize || o.Source.Line != 0 {
					t.Errorf("%s: origin %s line %d", o.Ref.Name, o.Origin, o.Source.Line)
				}
				if _, ok := o.Annotation(originAnnotation); ok {
					t.Errorf("%s keeps the origin annotation kharden asked for", o.Ref.Name)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("objects:\n got %q\nwant %q", got, tt.want)
			}
			if tt.wantDiag == "" {
				if len(inv.Diagnostics) != 0 {
					t.Errorf("diagnostics: %v", inv.Diagnostics)
				}
				return
			}
			if len(inv.Diagnostics) != 1 || !strings.HasPrefix(inv.Diagnostics[0].Message, tt.wantDiag) || inv.Diagnostics[0].Warning {
				t.Errorf("diagnostics = %v, want one error %q", inv.Diagnostics, tt.wantDiag)
			}
			if strings.Contains(inv.Diagnostics[0].Message, "\n") {
				t.Error("diagnostic spans lines")
			}
		})
	}
}
