package checks_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// identityRules are the rules that read the RBAC index and the
// ServiceAccount objects: everything they report is built from text of the
// input (names, rules, subjects).
var identityRules = []finding.RuleID{
	"rbac-wildcard", "rbac-secrets-read", "rbac-workload-create", "rbac-pod-exec", "rbac-escalate",
	"rbac-token-create", "rbac-nodes-proxy", "rbac-csr-approve", "rbac-admission-control-write",
	"rbac-rbac-write", "rbac-cluster-admin-binding", "rbac-anonymous-access", "rbac-binding-to-missing-role",
	"service-account-token-automounted", "legacy-service-account-token", "projected-token-long-lived",
}

// FuzzRBACRules feeds arbitrary YAML to the identity rules: malformed
// roles, bindings, subjects and pod specs must give findings with a message
// or nothing, never a panic. Seeds are the rules' fixtures:
// go test ./pkg/checks -run XXX -fuzz FuzzRBACRules
func FuzzRBACRules(f *testing.F) {
	for _, id := range identityRules {
		files, _ := filepath.Glob(filepath.Join("testdata", string(id), "*", "*.yaml"))
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b}\nroleRef: {kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: ServiceAccount, name: s}, {kind: Group, name: 'system:serviceaccounts:'}, 3]\n"))
	f.Add([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nspec:\n  volumes: [7, {projected: {sources: [{serviceAccountToken: {expirationSeconds: 1e300}}, null]}}]\n  containers: [{env: [{valueFrom: {secretKeyRef: 3}}], envFrom: 4}]\n"))
	cfg := config.Default()
	on, off := true, false
	cfg.Rules = map[finding.RuleID]config.RuleConfig{}
	for _, c := range checks.Catalogue() {
		cfg.Rules[c.ID] = config.RuleConfig{Enabled: &off}
	}
	for _, id := range identityRules {
		cfg.Rules[id] = config.RuleConfig{Enabled: &on}
	}
	r, err := checks.NewRunner(checks.Catalogue(), cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, _ := inventory.ParseDocumentsLimit("fuzz.yaml", data, inventory.OriginFile, 1<<20)
		var b inventory.Builder
		for _, o := range objs {
			b.Add(o)
		}
		hits, _ := r.Run(b.Build())
		for _, h := range hits {
			if h.Finding.Message == "" {
				t.Errorf("%s on %s: empty message", h.Finding.Rule, h.Finding.Object)
			}
		}
	})
}
