package access

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// kcWant is one expected finding of a fixture.
type kcWant struct {
	rule finding.RuleID
	kind string // User or Cluster
	name string
	line int
	path string
}

func (w kcWant) String() string {
	return fmt.Sprintf("%s %s/%s:%d %s", w.rule, w.kind, w.name, w.line, w.path)
}

// kcFixtures lists every fixture under testdata/kubeconfig with the findings
// it must give, no more and no fewer, and the error it must give, if any.
var kcFixtures = map[string]struct {
	want    []kcWant
	wantErr string
}{
	"good-exec.yaml": {want: []kcWant{
		{checks.RuleKubeconfigExecCredential, "User", "alice@prod", 11, "users[name=alice@prod].user.exec"},
	}},
	"good-oidc.yaml": {want: []kcWant{
		{checks.RuleKubeconfigExecCredential, "User", "dave", 11, "users[name=dave].user.auth-provider"},
	}},
	"static-token.yaml": {want: []kcWant{
		{checks.RuleKubeconfigStaticToken, "User", "ci-deployer", 8, "users[name=ci-deployer].user.token"},
		{checks.RuleKubeconfigStaticToken, "User", "legacy-bot", 11, "users[name=legacy-bot].user.tokenFile"},
	}},
	"basic-auth.yaml": {want: []kcWant{
		{checks.RuleKubeconfigBasicAuth, "User", "admin", 8, "users[name=admin].user.password"},
	}},
	"client-cert-expired.yaml": {want: []kcWant{
		{checks.RuleKubeconfigClientCertExpired, "User", "carol", 10, "users[name=carol].user.client-certificate"},
	}},
	"client-cert-long-lived.yaml": {want: []kcWant{
		{checks.RuleKubeconfigClientCertLong, "User", "bob", 9, "users[name=bob].user.client-certificate-data"},
	}},
	"client-cert-system-masters.yaml": {want: []kcWant{
		{checks.RuleKubeconfigClientCertMasters, "User", "kubernetes-admin", 9, "users[name=kubernetes-admin].user.client-certificate-data"},
	}},
	"insecure-skip-tls-verify.yaml": {want: []kcWant{
		{checks.RuleKubeconfigInsecureSkipVerify, "Cluster", "dev", 5, "clusters[name=dev].cluster.insecure-skip-tls-verify"},
		{checks.RuleKubeconfigExecCredential, "User", "dev", 14, "users[name=dev].user.exec"},
	}},
	"plain-http.yaml": {want: []kcWant{
		{checks.RuleKubeconfigPlainHTTP, "Cluster", "tunnel", 4, "clusters[name=tunnel].cluster.server"},
	}},
	"cert-file-missing.yaml": {
		want:    []kcWant{{checks.RuleKubeconfigStaticToken, "User", "grace", 7, "users[name=grace].user.token"}},
		wantErr: "cert-file-missing.yaml:4: users[name=frank].user.client-certificate: cannot read client certificate",
	},
}

// kcFixtureFiles returns the fixture files; the test fails when there are
// none.
func kcFixtureFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(kcFixtureDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures under %s (%v)", kcFixtureDir, err)
	}
	return files
}

// kcAuditFixture audits one fixture file.
func kcAuditFixture(t *testing.T, file string) ([]finding.Finding, error) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return AuditKubeconfig(file, data, kcNow)
}

func TestAuditKubeconfigFixtures(t *testing.T) {
	seen := map[string]bool{}
	for _, file := range kcFixtureFiles(t) {
		base := filepath.Base(file)
		seen[base] = true
		tt, ok := kcFixtures[base]
		if !ok {
			t.Errorf("%s: fixture without expectations in kcFixtures", file)
			continue
		}
		t.Run(base, func(t *testing.T) {
			fs, err := kcAuditFixture(t, file)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
			var got []string
			for _, f := range fs {
				if f.Source == nil || f.Source.File != file {
					t.Errorf("%s: source %v, want file %s", f.Rule, f.Source, file)
					continue
				}
				if f.Object.APIVersion != KubeconfigAPIVersion || f.Category != finding.CategoryIdentity ||
					f.Remediation == "" || len(f.References) == 0 || f.Message == "" || f.Fingerprint == "" {
					t.Errorf("%s: incomplete finding %+v", f.Rule, f)
				}
				got = append(got, kcWant{f.Rule, f.Object.Kind, f.Object.Name, f.Source.Line, f.Path}.String())
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, w.String())
			}
			kcCompareBothWays(t, got, want)
		})
	}
	for name := range kcFixtures {
		if !seen[name] {
			t.Errorf("kcFixtures lists %s, which is not under %s", name, kcFixtureDir)
		}
	}
}

// kcCompareBothWays reports what is missing from got and what is extra.
func kcCompareBothWays(t *testing.T, got, want []string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing finding %s", w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("extra finding %s", g)
		}
	}
}

// TestKubeconfigRulesFire is the meta-test: every kubeconfig rule fires on
// some fixture, and on the good-*.yaml fixtures nothing fires but
// kubeconfig-exec-credential, which must.
func TestKubeconfigRulesFire(t *testing.T) {
	rules, err := KubeconfigRules()
	if err != nil {
		t.Fatal(err)
	}
	fired := map[finding.RuleID]int{}
	goodFixtures := 0
	for _, file := range kcFixtureFiles(t) {
		fs, _ := kcAuditFixture(t, file)
		good := strings.HasPrefix(filepath.Base(file), "good-")
		if good {
			goodFixtures++
		}
		sawExec := false
		for _, f := range fs {
			fired[f.Rule]++
			if f.Rule == checks.RuleKubeconfigExecCredential {
				sawExec = true
			} else if good {
				t.Errorf("%s: rule %s fired on a good fixture", file, f.Rule)
			}
		}
		if good && !sawExec {
			t.Errorf("%s: good fixture without a %s finding", file, checks.RuleKubeconfigExecCredential)
		}
	}
	if goodFixtures == 0 {
		t.Error("no good-*.yaml fixture")
	}
	for _, c := range rules {
		if fired[c.ID] == 0 {
			t.Errorf("rule %s fires on no fixture", c.ID)
		}
	}
}

// TestKubeconfigRulesInCatalogue: the catalogue's rules for the command and
// the rules the audit reports are the same set.
func TestKubeconfigRulesInCatalogue(t *testing.T) {
	var inCatalogue []string
	for _, c := range checks.Catalogue() {
		if c.Command == checks.KubeconfigCommand {
			inCatalogue = append(inCatalogue, string(c.ID))
			if c.Engine != checks.EngineAnalysis || c.Category != finding.CategoryIdentity {
				t.Errorf("%s: engine %s, category %s", c.ID, c.Engine, c.Category)
			}
		}
	}
	var audited []string
	for _, id := range kubeconfigRuleIDs {
		audited = append(audited, string(id))
	}
	if len(audited) != 8 {
		t.Errorf("%d kubeconfig rules, want 8", len(audited))
	}
	kcCompareBothWays(t, inCatalogue, audited)
	if err := checks.Validate(checks.Catalogue()); err != nil {
		t.Error(err)
	}
}

// TestAuditKubeconfigMalformed: broken kubeconfigs give one error naming the
// file and the line, never a panic, never a credential.
func TestAuditKubeconfigMalformed(t *testing.T) {
	huge := "users:\n- name: a\n  user:\n    token: \"" + strings.Repeat("x", MaxKubeconfigBytes) + "\"\n"
	var bomb strings.Builder
	bomb.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&bomb, "a%d: &a%d [", i, i)
		for j := 0; j < 9; j++ {
			if j > 0 {
				bomb.WriteString(", ")
			}
			fmt.Fprintf(&bomb, "*a%d", i-1)
		}
		bomb.WriteString("]\n")
	}
	bomb.WriteString("users:\n- name: a\n  user: {token: TOPSECRET-BOMB-1}\n")
	tests := []struct {
		name, data string
		line       int // 0: no line expected
		msg        string
	}{
		{"not YAML", "users:\n- name: a\n  user: {token: TOPSECRET-1\n", 2, "invalid YAML"},
		{"binary", "\x7fELF\x00\x01\x02TOPSECRET-2", 0, "binary file"},
		{"invalid UTF-8", "users: \xff\xfe\n", 0, "binary file"},
		{"empty", "", 0, "empty file"},
		{"only comments", "# nothing here\n", 0, "empty file"},
		{"top-level list", "- TOPSECRET-3\n- b\n", 1, "top level is a list"},
		{"top-level scalar", "TOPSECRET-4\n", 1, "top level is a string"},
		{"not a kubeconfig", "foo: TOPSECRET-5\n", 1, "not a kubeconfig: no users"},
		{"other kind", "apiVersion: apps/v1\nkind: Deployment\n", 2, `kind is "Deployment", want Config`},
		{"other apiVersion", "apiVersion: v2\nkind: Config\n", 1, `apiVersion is "v2", want v1`},
		{"users a mapping", "kind: Config\nusers: {a: TOPSECRET-6}\n", 2, "users is a mapping, want a list"},
		{"user entry a string", "users:\n- TOPSECRET-7\n", 2, "users[0] is a string, want a mapping"},
		{"name a list", "users:\n- name: [a]\n  user: {}\n", 2, "users[0].name is a list"},
		{"user body a list", "users:\n- name: a\n  user: [TOPSECRET-8]\n", 3, "users[name=a].user is a list"},
		{"cluster body a string", "clusters:\n- name: c\n  cluster: TOPSECRET-9\n", 3, "clusters[name=c].cluster is a string"},
		{"contexts a number", "contexts: 5\n", 1, "contexts is a number"},
		{"token a number", "users:\n- name: a\n  user:\n    token: 12345\n", 4, "users[name=a].user.token is a number, want a string"},
		{"password a YAML 1.1 boolean", "users:\n- name: a\n  user:\n    username: u\n    password: yes\n", 5,
			"users[name=a].user.password is a boolean, want a string"},
		{"insecure-skip-tls-verify a string", "clusters:\n- name: c\n  cluster:\n    insecure-skip-tls-verify: maybe\n", 4,
			"clusters[name=c].cluster.insecure-skip-tls-verify is a string, want true or false"},
		{"exec a number", "users:\n- name: a\n  user:\n    exec: 5\n", 4, "users[name=a].user.exec is a number, want a mapping"},
		{"certificate data not base64", "users:\n- name: a\n  user:\n    client-certificate-data: 'TOPSECRET-10!!'\n", 4,
			"users[name=a].user.client-certificate-data is not valid base64"},
		{"CA data not base64", "clusters:\n- name: c\n  cluster:\n    certificate-authority-data: '%%%'\n", 4,
			"clusters[name=c].cluster.certificate-authority-data is not valid base64"},
		{"key data a mapping", "users:\n- name: a\n  user:\n    client-key-data: {k: TOPSECRET-11}\n", 4,
			"client-key-data is a mapping, want base64 text"},
		// client-go's own error for this prints every entry, tokens included.
		{"duplicate user", "users:\n- name: a\n  user: {token: TOPSECRET-12}\n- name: a\n  user: {password: TOPSECRET-13}\n", 4,
			`duplicate user name "a" (first on line 2)`},
		{"duplicate cluster", "clusters:\n- name: c\n  cluster: {server: https://a}\n- name: c\n  cluster: {}\n", 4, "duplicate cluster name"},
		{"alias bomb", bomb.String(), 0, "invalid YAML"},
		{"over the size limit", huge, 0, "over the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join("some", "dir", "config")
			fs, err := AuditKubeconfig(file, []byte(tt.data), kcNow)
			if err == nil {
				t.Fatalf("no error; findings %v", fs)
			}
			if len(fs) != 0 {
				t.Errorf("findings from a broken file: %v", fs)
			}
			var ke *KubeconfigError
			if !errors.As(err, &ke) || ke.File != file {
				t.Fatalf("error %v does not name the file", err)
			}
			prefix := file + ": "
			if tt.line > 0 {
				prefix = fmt.Sprintf("%s:%d: ", file, tt.line)
			}
			if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q, want %q...%q", err, prefix, tt.msg)
			}
			if strings.Contains(err.Error(), "TOPSECRET") || strings.Contains(err.Error(), "\n") {
				t.Errorf("error quotes the input or spans lines: %q", err)
			}
		})
	}
}

// TestAuditKubeconfigEntryProblems: a certificate that cannot be audited is
// an error for its entry; the rest of the file is still audited.
func TestAuditKubeconfigEntryProblems(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "a-directory"), 0o755); err != nil {
		t.Fatal(err)
	}
	keyPEM := "-----BEGIN PRIVATE KEY-----\nVE9QU0VDUkVULUtFWS1JTi1DRVJULUZJRUxE\n-----END PRIVATE KEY-----\n"
	garbageCert := "-----BEGIN CERTIFICATE-----\nVE9QU0VDUkVULUdBUkJBR0UtQ0VSVA==\n-----END CERTIFICATE-----\n"
	tests := []struct{ name, user, msg string }{
		{"data not PEM", "client-certificate-data: VE9QU0VDUkVULU5PVC1QRU0=", "client-certificate-data: no PEM certificate found"},
		{"a key where the certificate goes", "client-certificate-data: " + kcBase64(keyPEM), "no PEM certificate found"},
		{"PEM that is not a certificate", "client-certificate-data: " + kcBase64(garbageCert), "not a valid X.509 certificate"},
		{"file is a directory", "client-certificate: a-directory", "not a regular file"},
		{"file missing", "client-certificate: missing.crt", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, "config")
			data := "users:\n- name: broken\n  user:\n    " + tt.user + "\n- name: other\n  user: {token: TOPSECRET-T}\n"
			fs, err := AuditKubeconfig(file, []byte(data), kcNow)
			if err == nil || !strings.HasPrefix(err.Error(), file+":2: users[name=broken].user.client-certificate") ||
				!strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %v, want %s:2: ...%s", err, file, tt.msg)
			}
			if err != nil && strings.Contains(err.Error(), "TOPSECRET") {
				t.Errorf("error quotes the data: %v", err)
			}
			if len(fs) != 1 || fs[0].Object.Name != "other" {
				t.Errorf("findings %v, want the other user's token", fs)
			}
		})
	}
}

func TestAuditKubeconfigFilesKeepsGoodFiles(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("users: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.yaml")
	good := filepath.Join(kcFixtureDir, "static-token.yaml")
	fs, errs := AuditKubeconfigFiles([]string{bad, good, missing, dir}, kcNow)
	if len(fs) != 2 {
		t.Errorf("%d findings, want the 2 of %s", len(fs), good)
	}
	var msgs []string
	for _, err := range errs {
		msgs = append(msgs, err.Error())
	}
	sort.Strings(msgs)
	want := []string{dir + ": not a regular file", bad + ":1: invalid YAML", missing + ": no such file"}
	sort.Strings(want)
	if len(msgs) != len(want) {
		t.Fatalf("errors %q, want %d", msgs, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(msgs[i], want[i]) {
			t.Errorf("error %q, want %q...", msgs[i], want[i])
		}
	}
}

// TestKubeconfigRelativeCertificatePath: a relative client-certificate is
// found beside the kubeconfig, wherever the audit runs from; an absolute one
// as it is.
func TestKubeconfigRelativeCertificatePath(t *testing.T) {
	abs, err := filepath.Abs(filepath.Join(kcFixtureDir, "certs", "expired.crt"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "certs"), 0o755); err != nil {
		t.Fatal(err)
	}
	pemData, err := os.ReadFile(abs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "certs", "mine.crt"), pemData, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, certPath := range []string{"certs/mine.crt", abs} {
		data := "users:\n- name: carol\n  user:\n    client-certificate: " + certPath + "\n"
		fs, err := AuditKubeconfig(filepath.Join(dir, "config"), []byte(data), kcNow)
		if err != nil || len(fs) != 1 || fs[0].Rule != checks.RuleKubeconfigClientCertExpired {
			t.Errorf("%s: findings %v, error %v; want one expired certificate", certPath, fs, err)
		}
	}
}

func kcBase64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestKubeconfigLongLivedBoundary: a year (kubeadm's 365 days backdated
// five minutes, or a leap year's 366) is not long-lived; more is.
func TestKubeconfigLongLivedBoundary(t *testing.T) {
	tests := []struct {
		name      string
		notBefore time.Time
		notAfter  time.Time
		want      bool
	}{
		{"90 days", kcDate(2026, 1, 1), kcDate(2026, 4, 1), false},
		{"kubeadm year", kcDate(2026, 5, 1).Add(-5 * time.Minute), kcDate(2027, 5, 1), false},
		{"kubeadm year over a leap day", kcDate(2027, 5, 1).Add(-5 * time.Minute), kcDate(2027, 5, 1).Add(365 * 24 * time.Hour), false},
		{"calendar year over a leap day", kcDate(2027, 5, 1).Add(-5 * time.Minute), kcDate(2028, 5, 1), false},
		{"a year and two days", kcDate(2026, 1, 1), kcDate(2027, 1, 3), true},
		{"ten years", kcDate(2025, 1, 1), kcDate(2035, 1, 1), true},
	}
	for _, tt := range tests {
		if got := kcLongLived(&x509.Certificate{NotBefore: tt.notBefore, NotAfter: tt.notAfter}); got != tt.want {
			t.Errorf("%s: long-lived %v, want %v", tt.name, got, tt.want)
		}
	}
}
