package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadErrorsNameTheLine: every kind of mistake in .kharden.yaml is
// reported as FILE:LINE with the path of the setting.
func TestLoadErrorsNameTheLine(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string // each an error line's expected start after the file name
	}{
		{"unknown field in a list item",
			"exceptions:\n- rules: [a]\n  namespace: x\n  owner: o\n  reason: r\n  expires: 2027-01-01\n",
			[]string{":3: exceptions[0].namespace: unknown field (known here: expires, owner, permanent, reason, rules, scope)"}},
		{"unknown field under a map",
			"rules:\n  image-latest-tag:\n    enabled: true\n    sevrity: high\n",
			[]string{":4: rules.image-latest-tag.sevrity: unknown field"}},
		{"every unknown field",
			"allowedRegistrys: [x]\nrollout:\n  canary:\n    namespace: [a]\n",
			[]string{":1: allowedRegistrys: unknown field", ":4: rollout.canary.namespace: unknown field"}},
		{"wrong type",
			"ownerKeys: [team]\nexceptions:\n- rules: image-latest-tag\n  owner: a\n",
			[]string{":3: exceptions.rules: got a string, want a list"}},
		{"wrong scalar",
			"maxTokenExpirationSeconds: soon\n",
			[]string{":1: maxTokenExpirationSeconds: got a string, want a number"}},
		{"value decoder",
			"rules:\n  a:\n    severity: severe\n",
			[]string{`:3: unknown severity "severe"`}},
		{"duration",
			"detect:\n  window: 5x\n",
			[]string{`:2: time: unknown unit "x"`}},
		{"incomplete exceptions, each on its line",
			"exceptions:\n- rules: [a]\n  owner: o\n  reason: r\n  expires: 2027-01-01\n- rules: [a]\n  owner: o\n  expires: 2027-13-01\n",
			[]string{`:8: exceptions[1].expires: date "2027-13-01"`, ":6: exceptions[1]: missing reason"}},
		{"selector",
			"rollout:\n  canary:\n    selector: \"a in (b\"\n",
			[]string{`:3: rollout.canary.selector "a in (b"`}},
		{"maintenance window",
			"detect:\n  maintenanceWindows:\n  - start: \"02:00\"\n    end: \"06:00\"\n  - start: \"25:00\"\n    end: \"03:00\"\n",
			[]string{`:5: detect.maintenanceWindows[1]: start: "25:00"`}},
		{"syntax",
			"ownerKeys: [team\n",
			[]string{":1: not valid YAML: "}},
		{"through an alias",
			"base: &b {rules: [a], owner: o, reason: r, expires: 2027-01-01}\n",
			[]string{":1: base: unknown field"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), FileName)
			if err := os.WriteFile(path, []byte(tt.doc), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if err == nil {
				t.Fatal("accepted")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("%d errors, want %d:\n%v", len(lines), len(tt.want), err)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(lines[i], path+w) {
					t.Errorf("error %d = %q\nwant prefix %q", i, lines[i], path+w)
				}
				if strings.Contains(lines[i], "JSON") {
					t.Errorf("error speaks of JSON, the user wrote YAML: %q", lines[i])
				}
			}
		})
	}
}

// FuzzParse: any document is accepted or refused with an error, never a
// panic, and a refusal that names a line names one inside the document.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"exceptions:\n- rules: [a]\n  namespace: x\n",
		"rules:\n  a:\n    severity: huge\n",
		"detect:\n  maintenanceWindows:\n  - start: \"25:00\"\n",
		"a: &x [b]\nc: *x\n",
		"rollout:\n  canary:\n    selector: \"a in (b\"\n",
		"exceptions: [{rules: x}]\n",
		"a: &a [x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c]\nexceptions: [*d]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse(data)
		if err == nil {
			return
		}
		n := strings.Count(string(data), "\n") + strings.Count(string(data), "\r") + 2 // \r breaks lines in YAML too
		for _, e := range unwrapAll(err) {
			if le, ok := e.(*LineError); ok && (le.Line < 1 || le.Line > n) {
				t.Fatalf("line %d outside a document of %d lines: %v", le.Line, n, le)
			}
		}
	})
}

func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
