package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

const cpFixtures = "../../pkg/controlplane/testdata"

func TestControlplaneCheck(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{name: "hardened node passes", args: []string{"--root", cpFixtures + "/hardened", "--fail-on", "low"}, code: 0,
			contains: []string{"apiserver-no-oidc"}},
		{name: "weak node fails", args: []string{"--root", cpFixtures + "/weak-flags", "--fail-on", "high"}, code: 1,
			contains: []string{"apiserver-insecure-authorization", "kubelet-read-only-port"}},
		{name: "kubelet flags file", args: []string{"--root", cpFixtures + "/weak-files", "--kubelet-flags",
			cpFixtures + "/weak-files/etc/default/kubelet"}, code: 0, contains: []string{"kubelet-authorization-always-allow"}},
		{name: "missing root", args: []string{"--root", cpFixtures + "/none"}, code: ExitUsage},
		{name: "missing kubelet config", args: []string{"--root", cpFixtures + "/hardened", "--kubelet-config", "nope.yaml"}, code: ExitUsage,
			contains: []string{"nope.yaml"}},
		{name: "bad format", args: []string{"--root", cpFixtures + "/hardened", "-o", "xml"}, code: ExitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir()) // no .kharden.yaml from the repository
			args := tc.args
			for i, a := range args {
				if strings.HasPrefix(a, cpFixtures) {
					abs, _ := filepath.Abs(filepath.Join(cpStartDir, a))
					args[i] = abs
				}
			}
			code, out, errOut := run(t, "", append([]string{"controlplane", "check"}, args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
			for _, c := range tc.contains {
				if !strings.Contains(out+errOut, c) {
					t.Errorf("output lacks %q:\n%s%s", c, out, errOut)
				}
			}
		})
	}
}

func TestControlplaneCheckFormats(t *testing.T) {
	root, _ := filepath.Abs(cpFixtures + "/weak-flags")
	for _, format := range []string{"json", "sarif", "junit", "markdown", "table"} {
		code, out, errOut := run(t, "", "controlplane", "check", "--root", root, "-o", format)
		if code != 0 || out == "" {
			t.Fatalf("%s: exit %d\n%s", format, code, errOut)
		}
		for _, secret := range []string{"KHARDEN-FIXTURE-STATIC-TOKEN"} {
			if strings.Contains(out+errOut, secret) {
				t.Errorf("%s: output contains the token file's content", format)
			}
		}
		if format == "json" {
			var doc struct {
				Findings []struct {
					Rule   string `json:"rule"`
					Source struct {
						File string `json:"file"`
						Line int    `json:"line"`
					} `json:"source"`
				} `json:"findings"`
				Summary struct {
					Rules int `json:"rules"`
				} `json:"summary"`
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Findings) < 15 || doc.Summary.Rules != 18 {
				t.Errorf("%d findings, %d rules", len(doc.Findings), doc.Summary.Rules)
			}
		}
	}
}

// cpStartDir is the package directory, where the tests start before
// t.Chdir.
var cpStartDir = func() string { d, _ := filepath.Abs("."); return d }()
