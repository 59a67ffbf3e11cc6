package testcluster

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestServerFlags(t *testing.T) {
	type want map[string]string // flag -> joined values; "" = absent
	tests := []struct {
		name  string
		opts  Options
		want  want
		files []string
	}{
		{
			name: "zero",
			want: want{
				"authorization-mode":        "RBAC",
				"authentication-config":     "authentication-config.yaml",
				"anonymous-auth":            "",
				"disable-admission-plugins": "ServiceAccount",
				"enable-admission-plugins":  "",
				"audit-log-path":            "",
			},
			files: []string{"authentication-config.yaml"},
		},
		{
			name: "everything",
			opts: Options{
				AuditPolicy:             []byte("policy"),
				AuditWebhookKubeconfig:  []byte("webhook"),
				EncryptionConfig:        []byte("encryption"),
				AuthorizationModes:      []string{"Node", "RBAC"},
				AnonymousAuth:           true,
				AdmissionPlugins:        []string{"ServiceAccount", "NodeRestriction"},
				DisableAdmissionPlugins: []string{"PodSecurity"},
				Flags:                   map[string][]string{"--profiling": {"false"}, "authorization-mode": {"AlwaysAllow"}},
			},
			want: want{
				"audit-policy-file":          "audit-policy.yaml",
				"audit-log-path":             "audit.log",
				"audit-log-format":           "json",
				"audit-webhook-config-file":  "audit-webhook.kubeconfig",
				"encryption-provider-config": "encryption-config.yaml",
				// Flags come last and win.
				"authorization-mode":        "AlwaysAllow",
				"anonymous-auth":            "true",
				"authentication-config":     "",
				"enable-admission-plugins":  "ServiceAccount,NodeRestriction",
				"disable-admission-plugins": "PodSecurity",
				"profiling":                 "false",
			},
			files: []string{"audit-policy.yaml", "audit-webhook.kubeconfig", "encryption-config.yaml"},
		},
		{
			name: "own authentication config",
			opts: Options{Flags: map[string][]string{"authentication-config": {"/x.yaml"}}},
			want: want{"authentication-config": "/x.yaml", "anonymous-auth": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Cluster{Dir: t.TempDir()}
			flags, err := c.writeServerFiles(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			// As envtest's Arguments.Set does: the last one of a name wins.
			got := map[string]string{}
			for _, f := range flags {
				got[f.name] = strings.Join(f.values, ",")
			}
			for name, w := range tt.want {
				g := got[name]
				if strings.HasSuffix(w, ".yaml") || strings.HasSuffix(w, ".log") || strings.HasSuffix(w, ".kubeconfig") {
					if !filepath.IsAbs(w) {
						w = filepath.Join(c.Dir, w)
					}
				}
				if g != w {
					t.Errorf("--%s = %q, want %q", name, g, w)
				}
			}
			for _, f := range tt.files {
				if _, err := os.Stat(filepath.Join(c.Dir, f)); err != nil {
					t.Errorf("file %s not written: %v", f, err)
				}
			}
			if slices.Contains(tt.files, "audit-policy.yaml") != (c.AuditLogPath != "") {
				t.Errorf("AuditLogPath = %q", c.AuditLogPath)
			}
		})
	}
	if _, err := (&Cluster{Dir: t.TempDir()}).writeServerFiles(Options{AuditWebhookKubeconfig: []byte("x")}); err == nil {
		t.Error("a webhook without a policy was accepted")
	}
}

// TestAnonymousWithAlwaysAllowRefused: the API server would turn anonymous
// auth off and never pass envtest's anonymous readiness probe.
func TestAnonymousWithAlwaysAllowRefused(t *testing.T) {
	c := &Cluster{Dir: t.TempDir()}
	_, err := c.writeServerFiles(Options{AnonymousAuth: true, AuthorizationModes: []string{"AlwaysAllow"}})
	if err == nil || !strings.Contains(err.Error(), "AuthenticationConfiguration") {
		t.Fatalf("want a refusal naming the way out, got %v", err)
	}
}
