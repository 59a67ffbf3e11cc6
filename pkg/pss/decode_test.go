package pss

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// fromJSON builds unstructured content the way the loader does.
func fromJSON(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestEvaluateIllTypedFields(t *testing.T) {
	const secret = "s3cr3t-Pa55w0rd"
	tests := []struct {
		name       string
		meta, spec string
		wantChecks []string // violated check ids at restricted
		wantFields []string // in the error
	}{
		{
			name: "string runAsUser and boolean sysctl name",
			spec: `{"securityContext":{"runAsUser":"` + secret + `","sysctls":[{"name":true,"value":"1"}]},
				"containers":[{"name":"app","image":"x","securityContext":{"capabilities":{"add":["SYS_ADMIN"]}}}]}`,
			wantChecks: []string{"capabilities_restricted", "sysctls"},
			wantFields: []string{"spec.template.spec.securityContext.runAsUser (want integer)", "spec.template.spec.securityContext.sysctls[0].name (want string)"},
		},
		{
			name: "ill-typed capability list",
			spec: `{"hostPID":true,"containers":[{"name":"app","image":"x",
				"securityContext":{"privileged":true,"capabilities":{"drop":"ALL"}}}]}`,
			wantChecks: []string{"hostNamespaces", "privileged", "capabilities_restricted"},
			wantFields: []string{"spec.template.spec.containers[0].securityContext.capabilities.drop (want list)"},
		},
		{
			name:       "non-string annotation",
			meta:       `{"annotations":{"container.apparmor.security.beta.kubernetes.io/app":"unconfined","replicas":3}}`,
			spec:       `{"containers":[{"name":"app","image":"x"}]}`,
			wantChecks: []string{"appArmorProfile"},
			wantFields: []string{"spec.template.metadata.annotations.replicas (want string)"},
		},
		{
			name:       "container that is not an object",
			spec:       `{"containers":["` + secret + `",{"name":"app","image":"x","securityContext":{"privileged":true}}]}`,
			wantChecks: []string{"privileged"},
			wantFields: []string{"spec.template.spec.containers[0] (want object)"},
		},
	}
	e, _ := NewEvaluator("latest")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := inventory.PodTemplate{Spec: fromJSON(t, tt.spec), SpecPath: "spec.template.spec"}
			if tt.meta != "" {
				tmpl.Meta = fromJSON(t, tt.meta)
			}
			vs, err := e.Evaluate(tmpl, finding.LevelRestricted)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("want a *DecodeError, got %v", err)
			}
			for _, f := range tt.wantFields {
				if !strings.Contains(err.Error(), f) {
					t.Errorf("error %q does not name %q", err, f)
				}
			}
			for _, leak := range []string{secret, "987654321", "true", "unconfined"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error %q leaks a value", err)
				}
			}
			got := map[string]bool{}
			for _, v := range vs {
				got[string(v.Check)] = true
			}
			for _, c := range tt.wantChecks {
				if !got[c] {
					t.Errorf("check %s did not fail; violations %v", c, vs)
				}
			}
		})
	}
}

// Fields no PSA check reads are not decoded, so their type problems (a
// boolean env value, a malformed quantity) neither cost time nor make the
// PSS verdict partial; other tools (schema validation) report them.
func TestEvaluateIgnoresFieldsChecksDoNotRead(t *testing.T) {
	e, _ := NewEvaluator("latest")
	// The corpus has both of these: a string lun in an FC volume (only the
	// volume's type matters to PSA) and a boolean env value.
	spec := fromJSON(t, `{"volumes":[{"name":"san","fc":{"lun":"0","targetWWNs":["w"]}}],
		"containers":[{"name":"app","image":"x","env":[{"name":"DEBUG","value":true}],
		"resources":{"limits":{"memory":"lots"}},"securityContext":{"privileged":true}}]}`)
	vs, err := e.Evaluate(inventory.PodTemplate{Spec: spec, SpecPath: "spec"}, finding.LevelRestricted)
	if err != nil {
		t.Fatalf("unexpected error %v", err)
	}
	got := map[string]bool{}
	for _, v := range vs {
		got[string(v.Check)] = true
	}
	if !got["privileged"] || !got["restrictedVolumes"] {
		t.Fatalf("violations %v, want privileged and restrictedVolumes", vs)
	}
}

func TestEvaluateAppliesServerDefaults(t *testing.T) {
	e, _ := NewEvaluator("latest")
	tests := []struct {
		name, spec string
		check      string
		want       bool
	}{
		{"volume without source is an emptyDir", `{"containers":[{"name":"a"}],"volumes":[{"name":"scratch"}]}`, "restrictedVolumes", false},
		{"hostNetwork makes containerPort a hostPort", `{"hostNetwork":true,"containers":[{"name":"a","ports":[{"containerPort":8080}]}]}`, "hostPorts", true},
		{"containerPort alone is fine", `{"containers":[{"name":"a","ports":[{"containerPort":8080}]}]}`, "hostPorts", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs, err := e.Evaluate(inventory.PodTemplate{Spec: fromJSON(t, tt.spec), SpecPath: "spec"}, finding.LevelRestricted)
			if err != nil {
				t.Fatal(err)
			}
			got := false
			for _, v := range vs {
				got = got || string(v.Check) == tt.check
			}
			if got != tt.want {
				t.Errorf("%s failed = %v, want %v (%v)", tt.check, got, tt.want, vs)
			}
		})
	}
}

// FuzzEvaluate feeds arbitrary JSON pod specs through the decoder and the
// checks: no panic, and a decode error never quotes the input.
func FuzzEvaluate(f *testing.F) {
	f.Add(`{"containers":[{"name":"a","securityContext":{"privileged":true}}]}`)
	f.Add(`{"volumes":[{"name":"v","fc":{"lun":"x"}}],"containers":[{"env":[{"name":"A","value":false}]}]}`)
	f.Add(`{"containers":[{"resources":{"limits":{"cpu":"zzz"}}}],"securityContext":{"runAsUser":"root"}}`)
	e, _ := NewEvaluator("latest")
	f.Fuzz(func(t *testing.T, spec string) {
		var m map[string]any
		if json.Unmarshal([]byte(spec), &m) != nil || m == nil {
			return
		}
		_, err := e.Evaluate(inventory.PodTemplate{Spec: m, SpecPath: "spec"}, finding.LevelRestricted)
		var de *DecodeError
		if err != nil && !errors.As(err, &de) {
			t.Fatalf("unexpected error type %T: %v", err, err)
		}
	})
}
