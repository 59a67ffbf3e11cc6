package controlplane

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kharden/kharden/internal/testcluster"
	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// writeAPIServerManifest writes the flags a real API server was started
// with into a static-pod manifest under a new node root; the files the
// flags name are absolute paths on this machine, so the root is /.
func writeAPIServerManifest(t *testing.T, args []string) string {
	t.Helper()
	if len(args) == 0 {
		t.Fatal("the test API server reported no arguments")
	}
	pod := map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "kube-apiserver-testcluster", "namespace": "kube-system",
			"labels": map[string]any{"component": "kube-apiserver"}},
		"spec": map[string]any{"containers": []any{map[string]any{
			"name": "kube-apiserver", "image": "registry.k8s.io/kube-apiserver:test",
			"command": append([]string{"kube-apiserver"}, args...),
		}}},
	}
	data, err := yaml.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "manifests")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kube-apiserver.yaml"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func liveRules(t *testing.T, opts testcluster.Options) (map[finding.RuleID]bool, *Result) {
	t.Helper()
	c := testcluster.Start(t, opts)
	dir := writeAPIServerManifest(t, c.APIServerArgs())
	res := Check(context.Background(), Options{Root: "/", Manifests: dir, KubeletConfig: filepath.Join(dir, "none"),
		Live: c.Config, Timeout: 20 * time.Second})
	got := map[finding.RuleID]bool{}
	for _, f := range res.Findings {
		got[f.Rule] = true
	}
	return got, res
}

// TestLiveAPIServerFlags checks the very flags and files test API servers
// run with: a locked-down one (anonymous only on health paths, RBAC,
// encryption, audit) and one with anonymous auth and AlwaysAllow.
func TestLiveAPIServerFlags(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an API server")
	}
	t.Run("locked-down", func(t *testing.T) {
		got, res := liveRules(t, testcluster.Options{
			AuditPolicy:        []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n"),
			EncryptionConfig:   []byte(liveEncryption),
			AuthorizationModes: []string{"Node", "RBAC"},
			AdmissionPlugins:   []string{"NodeRestriction"},
		})
		for _, err := range res.Errors {
			if ie, ok := err.(*InputError); !ok || !ie.Warning {
				// The missing kubelet config given on purpose is the only
				// expected error.
				if !strings.Contains(err.Error(), "none") {
					t.Errorf("error: %v", err)
				}
			}
		}
		for _, id := range []finding.RuleID{checks.RuleAPIServerAnonymousAuth, checks.RuleAPIServerInsecureAuthorization,
			checks.RuleAPIServerAuditDisabled, checks.RuleAPIServerAuditPolicyWeak, checks.RuleEtcdEncryptionDisabled,
			checks.RuleAPIServerAdmissionMissing, checks.RuleAPIServerStaticTokenFile} {
			if got[id] {
				t.Errorf("%s fired on the locked-down API server", id)
			}
		}
		if !got[checks.RuleAPIServerNoOIDC] {
			t.Errorf("apiserver-no-oidc did not fire")
		}
		for _, f := range res.Findings {
			if strings.Contains(f.Message, "S0hBUkRFTi1MSVZFLUtFWQ") {
				t.Errorf("key material in %s", f.Message)
			}
		}
	})
	t.Run("anonymous-always-allow", func(t *testing.T) {
		// Options.AnonymousAuth sets --anonymous-auth=true, which
		// kube-apiserver resets to false next to AlwaysAllow; envtest's
		// anonymous readiness probe then never succeeds. Anonymous access
		// through an AuthenticationConfiguration is not reset: that is
		// the combination that really opens the API to everyone.
		authn := filepath.Join(t.TempDir(), "authn.yaml")
		if err := os.WriteFile(authn, []byte(liveAnonymousEverywhere), 0o600); err != nil {
			t.Fatal(err)
		}
		got, res := liveRules(t, testcluster.Options{
			AuthorizationModes: []string{"AlwaysAllow"},
			Flags:              map[string][]string{"authentication-config": {authn}},
		})
		for _, id := range []finding.RuleID{checks.RuleAPIServerAnonymousAuth, checks.RuleAPIServerInsecureAuthorization} {
			if !got[id] {
				t.Errorf("%s did not fire", id)
			}
		}
		// The flags say it and the live probe sees it.
		fromFile, fromProbe := false, false
		for _, f := range res.Findings {
			if f.Rule == checks.RuleAPIServerAnonymousAuth {
				fromFile = fromFile || f.Object.Kind == "Pod"
				fromProbe = fromProbe || f.Object.Kind == KindLiveCluster
			}
		}
		if !fromFile || !fromProbe {
			t.Errorf("apiserver-anonymous-auth from the configuration %v, from the live probe %v; want both", fromFile, fromProbe)
		}
		if len(res.Probes) == 0 {
			t.Errorf("no probe results")
		}
	})
}

const liveEncryption = `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: ["secrets"]
  providers:
  - aescbc:
      keys:
      - name: key1
        secret: S0hBUkRFTi1MSVZFLUtFWS0wMTIzNDU2Nzg5MDEyMzQ=
  - identity: {}
`

const liveAnonymousEverywhere = `apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
anonymous:
  enabled: true
`
