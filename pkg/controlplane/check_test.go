package controlplane

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// fixture is a node snapshot under testdata and the rules it must raise,
// with how many findings each.
type fixture struct {
	opts func(root string) Options
	want map[finding.RuleID]int
}

var fixtures = map[string]fixture{
	"hardened": {
		want: map[finding.RuleID]int{checks.RuleAPIServerNoOIDC: 1},
	},
	"weak-flags": {
		want: map[finding.RuleID]int{
			checks.RuleAPIServerAnonymousAuth:          1,
			checks.RuleAPIServerInsecureAuthorization:  1,
			checks.RuleAPIServerStaticTokenFile:        1,
			checks.RuleAPIServerNoOIDC:                 1,
			checks.RuleAPIServerAuditDisabled:          1,
			checks.RuleAPIServerProfilingEnabled:       1,
			checks.RuleAPIServerAdmissionMissing:       2,
			checks.RuleEtcdEncryptionDisabled:          1,
			checks.RuleEtcdClientTLSDisabled:           2, // the apiserver and the etcd pod
			checks.RuleEtcdPeerTLSDisabled:             1,
			checks.RuleEtcdClientCertAuthDisabled:      1,
			checks.RuleKubeletAnonymousAuth:            1,
			checks.RuleKubeletAuthorizationAlwaysAllow: 1,
			checks.RuleKubeletReadOnlyPort:             1,
		},
	},
	"weak-files": {
		opts: func(root string) Options {
			return Options{Root: root, KubeletFlags: filepath.Join(root, "etc/default/kubelet")}
		},
		want: map[finding.RuleID]int{
			checks.RuleAPIServerAnonymousAuth:          1,
			checks.RuleAPIServerInsecureAuthorization:  1,
			checks.RuleAPIServerNoOIDC:                 1,
			checks.RuleAPIServerAuditPolicyWeak:        3,
			checks.RuleAPIServerAdmissionMissing:       1,
			checks.RuleEtcdEncryptionDisabled:          1,
			checks.RuleKubeletAnonymousAuth:            1,
			checks.RuleKubeletAuthorizationAlwaysAllow: 1,
			checks.RuleKubeletReadOnlyPort:             1,
		},
	},
}

func runFixture(t *testing.T, name string) *Result {
	t.Helper()
	root := filepath.Join("testdata", name)
	opts := Options{Root: root}
	if f := fixtures[name]; f.opts != nil {
		opts = f.opts(root)
	}
	return Check(context.Background(), opts)
}

func TestFixtures(t *testing.T) {
	for name, fx := range fixtures {
		t.Run(name, func(t *testing.T) {
			res := runFixture(t, name)
			if len(res.Errors) > 0 {
				t.Fatalf("errors: %v", res.Errors)
			}
			got := map[finding.RuleID]int{}
			for _, f := range res.Findings {
				got[f.Rule]++
			}
			for id, n := range fx.want {
				if got[id] != n {
					t.Errorf("missing: rule %s reported %d times, want %d", id, got[id], n)
				}
			}
			for id, n := range got {
				if _, ok := fx.want[id]; !ok {
					t.Errorf("extra: rule %s reported %d times", id, n)
				}
			}
			if t.Failed() {
				for _, f := range res.Findings {
					t.Logf("%s %s:%d %s: %s", f.Rule, f.Source.File, f.Source.Line, f.Path, f.Message)
				}
			}
		})
	}
}

// TestEveryRuleFires is the meta-test: each rule this package reports is
// raised by some fixture, and the hardened node raises only the info rule.
func TestEveryRuleFires(t *testing.T) {
	fired := map[finding.RuleID]bool{}
	for name := range fixtures {
		for _, f := range runFixture(t, name).Findings {
			fired[f.Rule] = true
		}
	}
	if len(fired) == 0 {
		t.Fatal("no fixture raised anything")
	}
	for _, id := range ruleIDs {
		if !fired[id] {
			t.Errorf("rule %s fires in no fixture", id)
		}
	}
	for _, f := range runFixture(t, "hardened").Findings {
		if f.Severity != finding.SeverityInfo {
			t.Errorf("hardened node: %s: %s", f.Rule, f.Message)
		}
	}
}

// TestRulesInCatalogue: every id reported has metadata, the catalogue
// slice validates, and it holds the 18 rules of the issue.
func TestRulesInCatalogue(t *testing.T) {
	rules := checks.ControlplaneRules()
	if err := checks.Validate(rules); err != nil {
		t.Fatal(err)
	}
	if len(rules) != 18 {
		t.Errorf("%d control-plane rules, want 18", len(rules))
	}
	for _, id := range ruleIDs {
		if _, ok := checks.Lookup(rules, id); !ok {
			t.Errorf("rule %s has no metadata", id)
		}
	}
	for _, c := range rules {
		if !slices.ContainsFunc(c.References, func(r string) bool { return strings.Contains(r, "CIS") }) {
			t.Errorf("rule %s has no CIS reference", c.ID)
		}
	}
}

func TestFindingLocations(t *testing.T) {
	res := runFixture(t, "weak-files")
	want := map[string]bool{
		// rule|file suffix|line|path
		"apiserver-anonymous-auth|cfg/authn.yaml|4|anonymous.conditions":           true,
		"apiserver-insecure-authorization|cfg/authz.yaml|6|authorizers[].type":     true,
		"etcd-encryption-disabled|cfg/encryption.yaml|12|resources[].providers[0]": true,
		"kubelet-read-only-port|default/kubelet|0|--read-only-port":                true,
		"apiserver-audit-policy-weak|cfg/audit.yaml|4|rules":                       true, // secrets at RequestResponse
		"apiserver-audit-policy-weak|cfg/audit.yaml|8|rules":                       true, // RBAC with every stage omitted
		"apiserver-audit-policy-weak|cfg/audit.yaml|16|rules":                      true, // catch-all None
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, strings.Join([]string{string(f.Rule), lastTwo(f.Source.File), strconv.Itoa(f.Source.Line), f.Path}, "|"))
	}
	sort.Strings(got)
	for w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("no finding %s; got:\n%s", w, strings.Join(got, "\n"))
		}
	}
	for _, f := range res.Findings {
		if f.Object.Kind == "Pod" && (f.Object.Name != "kube-apiserver-cp2" || f.Object.Namespace != "kube-system") {
			t.Errorf("object %v", f.Object)
		}
	}
}

func TestFlagLines(t *testing.T) {
	res := runFixture(t, "weak-flags")
	for _, f := range res.Findings {
		if f.Rule == checks.RuleAPIServerInsecureAuthorization {
			if f.Source.Line != 12 || !strings.HasSuffix(f.Source.File, "kube-apiserver.yaml") {
				t.Errorf("insecure authorization at %v, want kube-apiserver.yaml:12", f.Source)
			}
		}
	}
}

// TestSecretsNeverPrinted: key material and token file content appear in
// no finding and no error.
func TestSecretsNeverPrinted(t *testing.T) {
	secrets := []string{"S0hBUkRFTi1GSVhUVVJFLUtFWS", "KHARDEN-FIXTURE-STATIC-TOKEN", "KHARDEN-FIXTURE-KEY"}
	for name := range fixtures {
		res := runFixture(t, name)
		out, _ := json.Marshal(res.Findings)
		text := string(out)
		for _, err := range res.Errors {
			text += err.Error()
		}
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s: output contains secret material %q", name, s)
			}
		}
	}
}

func lastTwo(p string) string {
	p = filepath.ToSlash(p)
	parts := strings.Split(p, "/")
	if len(parts) > 2 {
		parts = parts[len(parts)-2:]
	}
	return strings.Join(parts, "/")
}
