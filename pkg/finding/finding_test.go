package finding

import "testing"

func TestFingerprintStability(t *testing.T) {
	base := Finding{Rule: "run-as-root", Object: ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"},
		Source: &Source{File: "deploy/web.yaml", Line: 10, Column: 3}, Path: "spec.template.spec.containers[0].securityContext", Container: "web"}
	fp := base.ComputeFingerprint()
	same := []func(f *Finding){
		func(f *Finding) { f.Source = &Source{File: "deploy/web.yaml", Line: 99, Column: 7} },            // lines moved
		func(f *Finding) { f.Source = &Source{File: "./deploy/web.yaml", Line: 10} },                     // same file, other spelling
		func(f *Finding) { f.Path = "spec.template.spec.containers[3].securityContext" },                 // container reordered
		func(f *Finding) { f.Object.APIVersion = "apps/v1beta2" },                                        // version bump, same group
		func(f *Finding) { f.Message = "reworded"; f.Severity = SeverityCritical; f.Owner = "new-team" }, // presentation
	}
	for i, change := range same {
		f := base
		change(&f)
		if got := f.ComputeFingerprint(); got != fp {
			t.Errorf("change %d altered the fingerprint", i)
		}
	}
	different := []func(f *Finding){
		func(f *Finding) { f.Rule = "host-pid" },
		func(f *Finding) { f.Object.Name = "api" },
		func(f *Finding) { f.Object.Namespace = "prod" },
		func(f *Finding) { f.Container = "sidecar" },
		func(f *Finding) { f.Source = &Source{File: "deploy/other.yaml"} },
		func(f *Finding) { f.Path = "spec.template.spec.hostPID" },
	}
	for i, change := range different {
		f := base
		change(&f)
		if got := f.ComputeFingerprint(); got == fp {
			t.Errorf("change %d kept the fingerprint", i)
		}
	}
}

func TestSeverityNames(t *testing.T) {
	for _, s := range Severities() {
		got, err := ParseSeverity(s.String())
		if err != nil || got != s {
			t.Errorf("ParseSeverity(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("ParseSeverity accepted an unknown name")
	}
}
