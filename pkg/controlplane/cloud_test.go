package controlplane

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// cloudWant is one expected finding: rule, field path, and whether its
// severity is replaced by info.
type cloudWant struct {
	rule finding.RuleID
	path string
	info bool
}

// cloudFixtures are the expected findings of every good fixture under
// testdata/cloud, by file name.
var cloudFixtures = map[string]struct {
	kind, name string
	want       []cloudWant
}{
	"eks-public.json": {KindEKSCluster, "shop-prod", []cloudWant{
		{rule: checks.RuleAPIServerPublicEndpoint, path: "cluster.resourcesVpcConfig.publicAccessCidrs"},
		{rule: checks.RuleCloudAuditLoggingDisabled, path: "cluster.logging.clusterLogging"},
		{rule: checks.RuleCloudSecretsEncryptionDisabled, path: "cluster.encryptionConfig"},
	}},
	"eks-private.json": {KindEKSCluster, "payments", nil},
	"eks-restricted.json": {KindEKSCluster, "staging", []cloudWant{
		{rule: checks.RuleCloudAuditLoggingDisabled, path: "cluster.logging.clusterLogging"},
	}},
	"gke-public.json": {KindGKECluster, "web-frontend", []cloudWant{
		{rule: checks.RuleAPIServerPublicEndpoint, path: "masterAuthorizedNetworksConfig.enabled"},
		{rule: checks.RuleCloudAuditLoggingDisabled, path: "loggingService"},
		{rule: checks.RuleCloudSecretsEncryptionDisabled, path: "databaseEncryption.state"},
	}},
	"gke-private.json": {KindGKECluster, "ledger", nil},
	"gke-dns-endpoint.json": {KindGKECluster, "analytics", []cloudWant{
		{rule: checks.RuleAPIServerPublicEndpoint, path: "controlPlaneEndpointsConfig.ipEndpointsConfig.authorizedNetworksConfig.cidrBlocks"},
		{rule: checks.RuleCloudAuditLoggingDisabled, path: "loggingConfig.componentConfig.enableComponents"},
	}},
	"aks-public.json": {KindAKSCluster, "shop-aks", []cloudWant{
		{rule: checks.RuleAPIServerPublicEndpoint, path: "apiServerAccessProfile.authorizedIpRanges"},
		{rule: checks.RuleCloudAuditLoggingDisabled, path: "diagnosticSettings", info: true},
		{rule: checks.RuleCloudSecretsEncryptionDisabled, path: "securityProfile.azureKeyVaultKms.enabled"},
	}},
	"aks-private.json": {KindAKSCluster, "bank-aks", []cloudWant{
		{rule: checks.RuleCloudAuditLoggingDisabled, path: "diagnosticSettings", info: true},
	}},
	"aks-authorized-ranges.json": {KindAKSCluster, "ops-aks", []cloudWant{
		{rule: checks.RuleCloudAuditLoggingDisabled, path: "diagnosticSettings", info: true},
		{rule: checks.RuleCloudSecretsEncryptionDisabled, path: "securityProfile.azureKeyVaultKms.enabled"},
	}},
}

func TestCheckCloudFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "cloud", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures found (%v)", err)
	}
	// Both ways: every fixture has expectations, every expectation a fixture.
	seen := map[string]bool{}
	for _, file := range files {
		base := filepath.Base(file)
		seen[base] = true
		tc, ok := cloudFixtures[base]
		if !ok {
			t.Errorf("%s: fixture without expectations in cloudFixtures", file)
			continue
		}
		t.Run(base, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			fs, err := CheckCloud(file, data)
			if err != nil {
				t.Fatalf("CheckCloud: %v", err)
			}
			var got []cloudWant
			for _, f := range fs {
				got = append(got, cloudWant{rule: f.Rule, path: f.Path, info: f.Severity == finding.SeverityInfo})
				if f.Object != (finding.ObjectRef{Kind: tc.kind, Name: tc.name}) {
					t.Errorf("%s: object %+v, want kind %s name %s", f.Rule, f.Object, tc.kind, tc.name)
				}
				if f.Source == nil || f.Source.File != file || f.Source.Line < 1 {
					t.Errorf("%s: source %+v, want file %s with a line", f.Rule, f.Source, file)
				}
				if f.Fingerprint == "" || f.Message == "" || f.Remediation == "" || len(f.References) == 0 {
					t.Errorf("%s: incomplete finding %+v", f.Rule, f)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("findings\n got %v\nwant %v", got, tc.want)
			}
		})
	}
	for name := range cloudFixtures {
		if !seen[name] {
			t.Errorf("cloudFixtures names %s, which is not in testdata/cloud", name)
		}
	}
}

func TestCheckCloudLines(t *testing.T) {
	file := filepath.Join("testdata", "cloud", "eks-public.json")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := CheckCloud(file, data)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	wantKey := map[finding.RuleID]string{
		checks.RuleAPIServerPublicEndpoint:        `"publicAccessCidrs"`,
		checks.RuleCloudAuditLoggingDisabled:      `"clusterLogging"`,
		checks.RuleCloudSecretsEncryptionDisabled: `"cluster"`, // missing: reported at its parent
	}
	for _, f := range fs {
		if l := lines[f.Source.Line-1]; !strings.Contains(l, wantKey[f.Rule]) {
			t.Errorf("%s: line %d is %q, want the line of %s", f.Rule, f.Source.Line, l, wantKey[f.Rule])
		}
	}
}

func TestCheckCloudBadInput(t *testing.T) {
	tests := []struct {
		file string
		line int    // expected line, 0 for none
		msg  string // part of the message
	}{
		{"deployment.json", 1, "not a cluster description of a known shape"},
		{"kubeconfig.yaml", 1, "malformed JSON"},
		{"eks-wrong-type.json", 6, "field cluster.resourcesVpcConfig.endpointPublicAccess: expected true or false, found a JSON string"},
		{"gke-no-name.json", 1, "GKECluster description without a cluster name"},
		{"truncated.json", 5, "malformed JSON"},
		{"list.json", 1, "not a cluster description"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			file := filepath.Join("testdata", "cloud", "bad", tc.file)
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			fs, err := CheckCloud(file, data)
			var ce *CloudError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, %v; want a *CloudError", fs, err)
			}
			if ce.File != file || ce.Line != tc.line || !strings.Contains(ce.Msg, tc.msg) {
				t.Errorf("got %q (line %d), want line %d and %q", err, ce.Line, tc.line, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), file+":") {
				t.Errorf("error %q does not start with the file name", err)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error %q quotes a value from the file", err)
			}
		})
	}
	for _, tc := range []struct {
		name string
		data string
		msg  string
	}{
		{"empty", "  \n", "empty file"},
		{"null", "null", "not a cluster description"},
		{"binary", "{\x00}", "binary file"},
		{"huge", `{"name":"` + strings.Repeat("a", MaxCloudBytes) + `"}`, "over the limit"},
	} {
		_, err := CheckCloud(tc.name+".json", []byte(tc.data))
		if err == nil || !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), tc.name+".json") {
			t.Errorf("%s: got %v, want an error naming the file with %q", tc.name, err, tc.msg)
		}
	}
}

// TestCheckCloudKeepsSecrets checks that nothing of the legacy basic-auth
// password and client key in a GKE description reaches a finding.
func TestCheckCloudKeepsSecrets(t *testing.T) {
	file := filepath.Join("testdata", "cloud", "gke-public.json")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := CheckCloud(file, data)
	if err != nil || len(fs) == 0 {
		t.Fatalf("got %d findings, %v", len(fs), err)
	}
	for _, f := range fs {
		s := cloudDump(f)
		for _, secret := range []string{"GKE-LEGACY-BASIC-AUTH-PASSWORD-DO-NOT-PRINT", "R0tFLUxFR0FDWS1DTElFTlQtS0VZ", "LS0tLS1CRUdJTiBDRVJU"} {
			if strings.Contains(s, secret) {
				t.Errorf("%s: finding contains a secret value: %s", f.Rule, s)
			}
		}
	}
	// A type error in the secret's field must not echo it either.
	bad := strings.Replace(string(data), `"name": "web-frontend"`, `"name": {"x": "GKE-LEGACY-BASIC-AUTH-PASSWORD-DO-NOT-PRINT"}`, 1)
	if _, err := CheckCloud(file, []byte(bad)); err == nil || strings.Contains(err.Error(), "GKE-LEGACY") {
		t.Errorf("got %v, want an error without the value", err)
	}
}

// cloudDump is every string of a finding, joined.
func cloudDump(f finding.Finding) string {
	parts := []string{string(f.Rule), f.Object.String(), f.Path, f.Message, f.Remediation, strings.Join(f.References, " ")}
	if f.Source != nil {
		parts = append(parts, f.Source.File)
	}
	return strings.Join(parts, "\n")
}

func TestCloudUnrestricted(t *testing.T) {
	for _, tc := range []struct {
		cidrs []string
		open  bool
	}{
		{nil, true},
		{[]string{}, true},
		{[]string{"0.0.0.0/0"}, true},
		{[]string{"10.0.0.0/8", " ::/0 "}, true},
		{[]string{"203.0.113.0/24"}, false},
		{[]string{"0.0.0.0/1"}, false}, // half the internet, but a choice someone made
	} {
		if got, _ := cloudUnrestricted(tc.cidrs); got != tc.open {
			t.Errorf("cloudUnrestricted(%q) = %v, want %v", tc.cidrs, got, tc.open)
		}
	}
}
