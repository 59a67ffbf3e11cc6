package checks_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/finding"
)

func TestLegacyTokenUse(t *testing.T) {
	const dir = "testdata/legacy-service-account-token/fail/"
	cases := []struct {
		file, want string
		related    int
	}{
		{"token-secret.yaml", "for ServiceAccount ci-deployer, not used by any workload in the inventory: delete it", 0},
		{"token-secret-mounted.yaml", "still used by Deployment ci/builder: move it to a projected token first", 1},
		{"token-secret-in-env-and-projected.yaml", "still used by CronJob ops/report and Deployment ops/reporter: move it to a projected token first", 2},
	}
	for _, tc := range cases {
		got := findingsOf(t, lookupRule(t, "legacy-service-account-token"), dir+tc.file)
		if len(got) != 1 {
			t.Fatalf("%s: want one finding, got %d", tc.file, len(got))
		}
		if !strings.HasSuffix(got[0].Message, tc.want) || len(got[0].Related) != tc.related {
			t.Errorf("%s: got %q with %d related, want ...%q with %d", tc.file, got[0].Message, len(got[0].Related), tc.want, tc.related)
		}
	}
}

// TestTokenRulesNeverPrintTheToken: the token of a legacy Secret, in data,
// stringData or kubectl's last-applied annotation, appears in no finding of
// the token rules, in plain text or base64.
func TestTokenRulesNeverPrintTheToken(t *testing.T) {
	const token = "eyJhbGciOiJSUzI1NiJ9.c2VudGluZWwtdG9rZW4tZG8tbm90LXByaW50.c2lnbmF0dXJl"
	b64 := base64.StdEncoding.EncodeToString([]byte(token))
	yaml := `apiVersion: v1
kind: Secret
metadata:
  name: leaky-token
  namespace: shop
  annotations:
    kubernetes.io/service-account.name: leaky
    kubectl.kubernetes.io/last-applied-configuration: '{"stringData":{"token":"` + token + `"}}'
type: kubernetes.io/service-account-token
data:
  token: ` + b64 + `
stringData:
  token: ` + token + `
---
` + rbacDeployment("shop", "web", "leaky") + `      volumes:
      - name: token
        secret:
          secretName: leaky-token
`
	file := writeFixture(t, yaml)
	for _, id := range []finding.RuleID{"legacy-service-account-token", "service-account-token-automounted", "projected-token-long-lived"} {
		fs := findingsOf(t, lookupRule(t, id), file)
		out, err := json.Marshal(fs)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(out), token) || strings.Contains(string(out), b64) {
			t.Errorf("%s: a finding carries the token: %s", id, out)
		}
		if id == "legacy-service-account-token" && len(fs) != 1 {
			t.Errorf("legacy token not reported: %s", out)
		}
	}
}
