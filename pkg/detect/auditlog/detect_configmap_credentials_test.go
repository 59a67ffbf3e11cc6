package auditlog

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/checks"
)

// Planted values: none may appear in any field of a finding.
const (
	objPlantedPassword = "Zq8!vR2#pL9wXk4mTq"
	objPlantedToken    = "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
	objPlantedDBPass   = "s3cr3t-Pl4nted-DbPw"
)

func TestConfigMapWithCredentials(t *testing.T) {
	cm := func(data, binary map[string]any) map[string]any {
		b := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "app"}}
		if data != nil {
			b["data"] = data
		}
		if binary != nil {
			b["binaryData"] = binary
		}
		return b
	}
	creds := cm(map[string]any{
		"DB_PASSWORD": objPlantedPassword,
		"LOG_LEVEL":   "debug",
		"github":      objPlantedToken,
		"app.ini":     "[db]\nhost = db\npassword = " + objPlantedDBPass + "\n",
	}, map[string]any{"token.bin": base64.StdEncoding.EncodeToString([]byte(objPlantedToken))})
	rootCA := cm(map[string]any{"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhrM3Mtc2Vy\ndmVyLWNhQDE3MDAwMDAwMDAwHhcNMjMxMTE0MjIxMzIwWhcNMzMxMTExMjIxMzIw\n-----END CERTIFICATE-----\n"}, nil)
	clusterInfo := cm(map[string]any{"kubeconfig": "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJkekNDQVIyZ0F3SUJBZ0lCQURBS0JnZ3Foa2pPUFFRREFqQWpNU0V3SHdZRFZRUUREQmhyTTNNdGMyVnkK\n    server: https://10.0.0.1:6443\n  name: \"\"\nkind: Config\n"}, nil)
	refs := cm(map[string]any{"PASSWORD_FILE": "/etc/secret/password", "TOKEN_URL": "https://auth.example.com/token", "password": "${DB_PASSWORD}"}, nil)
	for _, tc := range []struct {
		name string
		e    E
		want int
		msg  string
	}{
		{"create", E{User: "alice", Verb: "create", Resource: "configmaps", NS: "dev", Name: "app", Body: creds}, 1,
			"alice created ConfigMap dev/app with credentials in keys DB_PASSWORD, app.ini, github, token.bin."},
		{"patch reads the response", E{User: "alice", Verb: "patch", Resource: "configmaps", NS: "dev", Name: "app",
			Body: map[string]any{"data": map[string]any{"LOG_LEVEL": "info"}}, Response: creds}, 1, "alice patched ConfigMap dev/app"},
		{"root CA", E{User: "system:serviceaccount:kube-system:root-ca-cert-publisher", Verb: "create", Resource: "configmaps", NS: "dev", Name: "kube-root-ca.crt", Body: rootCA}, 0, ""},
		{"cluster-info", E{User: "kubeadm:cluster-admins", Verb: "update", Resource: "configmaps", NS: "kube-public", Name: "cluster-info", Body: clusterInfo}, 0, ""},
		{"references, not values", E{User: "alice", Verb: "create", Resource: "configmaps", NS: "dev", Name: "app", Body: refs}, 0, ""},
		{"denied", E{User: "alice", Verb: "create", Resource: "configmaps", NS: "dev", Name: "app", Body: creds, Code: 403}, 0, ""},
		{"non-final", E{User: "alice", Verb: "create", Resource: "configmaps", NS: "dev", Name: "app", Body: creds, Stage: StageRequestReceived}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := analyze(t, nil, []E{tc.e}, checks.RuleAuditConfigMapCredentials)
			if len(fs) != tc.want {
				t.Fatalf("want %d findings, got %+v", tc.want, fs)
			}
			for _, f := range fs {
				if !strings.Contains(f.Message, tc.msg) || f.Object.Kind != "ConfigMap" {
					t.Errorf("finding %+v lacks %q", f, tc.msg)
				}
				dump := objDump(t, f)
				for _, v := range []string{objPlantedPassword, objPlantedToken, objPlantedDBPass, "ghp_"} {
					if strings.Contains(dump, v) {
						t.Errorf("finding leaks a planted value: %s", dump)
					}
				}
			}
		})
	}
}
