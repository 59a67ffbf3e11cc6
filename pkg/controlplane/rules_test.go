package controlplane

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"

	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kharden/kharden/pkg/finding"
)

// apiserverWith builds an API server input from flags and optional decoded
// configuration documents.
func apiserverWith(t *testing.T, flags ...string) *apiserver {
	t.Helper()
	fs, _ := ParseFlags(args(flags...), componentBoolFlags)
	return &apiserver{pod: &StaticPod{Component: ComponentAPIServer, File: "m.yaml", Flags: fs}, unreadable: map[string]bool{}}
}

func decodeInto(t *testing.T, doc string, out any) *configFile {
	t.Helper()
	if err := sigsyaml.UnmarshalStrict([]byte(doc), out); err != nil {
		t.Fatal(err)
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
		t.Fatal(err)
	}
	return &configFile{Path: "cfg.yaml", Node: n.Content[0]}
}

func messages(fs []finding.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(string(f.Rule) + ": " + f.Message + "\n")
	}
	return b.String()
}

func TestAuditPolicyEvaluation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy string
		want   []string // substrings of the findings' messages, in order; none means no finding
	}{
		{name: "metadata everywhere", policy: "rules:\n- level: Metadata\n"},
		{name: "request bodies for everything", policy: "rules:\n- level: Request\n",
			want: []string{"logs request bodies"}},
		{name: "first match wins: secrets at Metadata before a RequestResponse catch-all",
			policy: "rules:\n- level: Metadata\n  resources: [{group: '', resources: [secrets, configmaps]}, {group: authentication.k8s.io, resources: [tokenreviews]}]\n- level: RequestResponse\n"},
		{name: "catch-all None", policy: "rules:\n- level: Metadata\n  resources: [{group: rbac.authorization.k8s.io}, {group: '', resources: ['pods', 'pods/*']}]\n- level: None\n",
			want: []string{"catch-all rule at level None"}},
		{name: "exec only through */exec", policy: "rules:\n- level: Metadata\n  resources: [{group: '', resources: ['*/exec', '*/attach', '*/portforward', 'pods']}, {group: rbac.authorization.k8s.io}]\n"},
		{name: "policy-wide omitStages drop everything", policy: "omitStages: [RequestReceived, ResponseStarted, ResponseComplete, Panic]\nrules:\n- level: Metadata\n",
			want: []string{"does not record"}},
		{name: "rules for other users do not count", policy: "rules:\n- level: Metadata\n  users: [system:kube-proxy]\n",
			want: []string{"does not record"}},
		{name: "resourceNames limit the rule", policy: "rules:\n- level: Metadata\n  resources: [{group: rbac.authorization.k8s.io, resources: [roles, rolebindings, clusterroles, clusterrolebindings], resourceNames: [admin]}]\n- level: Metadata\n  resources: [{group: ''}]\n",
			want: []string{"does not record: create roles"}},
		{name: "namespaced rule misses cluster roles", policy: "rules:\n- level: Metadata\n  namespaces: [default]\n",
			want: []string{"does not record: create clusterroles"}},
		{name: "empty policy", policy: "rules: []\n", want: []string{"does not record"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := apiserverWith(t)
			var p auditv1.Policy
			a.auditFile = decodeInto(t, "apiVersion: audit.k8s.io/v1\nkind: Policy\n"+tc.policy, &p)
			a.audit = &p
			e := &emitter{}
			checkAuditPolicy(a, e)
			if len(e.out) != len(tc.want) {
				t.Fatalf("got %d findings, want %d:\n%s", len(e.out), len(tc.want), messages(e.out))
			}
			for i, w := range tc.want {
				if !strings.Contains(e.out[i].Message, w) {
					t.Errorf("finding %d: %q does not contain %q", i, e.out[i].Message, w)
				}
			}
		})
	}
}

func TestAdmission(t *testing.T) {
	for _, tc := range []struct {
		flags []string
		want  int
	}{
		{flags: []string{"--enable-admission-plugins=NodeRestriction"}, want: 0},
		{flags: nil, want: 1}, // NodeRestriction is not on by default
		{flags: []string{"--enable-admission-plugins=NodeRestriction", "--disable-admission-plugins=PodSecurity"}, want: 1},
		{flags: []string{"--admission-control=NodeRestriction"}, want: 1}, // the legacy flag replaces the defaults
		{flags: []string{"--admission-control=NodeRestriction,PodSecurity"}, want: 0},
	} {
		a := apiserverWith(t, tc.flags...)
		e := &emitter{}
		checkAdmission(a, e)
		if len(e.out) != tc.want {
			t.Errorf("%v: %d findings, want %d:\n%s", tc.flags, len(e.out), tc.want, messages(e.out))
		}
	}
}

func TestEncryptionCoverage(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want string
	}{
		{doc: "resources:\n- resources: [secrets]\n  providers: [{kms: {apiVersion: v2, name: k, endpoint: 'unix:///k.sock'}}]\n"},
		{doc: "resources:\n- resources: ['*.']\n  providers: [{secretbox: {keys: [{name: k, secret: eA==}]}}]\n"},
		{doc: "resources:\n- resources: [configmaps]\n  providers: [{identity: {}}]\n", want: "no entry for secrets"},
		{doc: "resources:\n- resources: [secrets]\n  providers: [{identity: {}}, {aescbc: {keys: [{name: k, secret: eA==}]}}]\n", want: "identity"},
		{doc: "resources:\n- resources: ['*.*']\n  providers: [{identity: {}}]\n- resources: [secrets]\n  providers: [{aescbc: {keys: [{name: k, secret: eA==}]}}]\n", want: "identity"},
	} {
		a := apiserverWith(t, "--encryption-provider-config=/enc.yaml")
		var c apiserverv1.EncryptionConfiguration
		a.encFile = decodeInto(t, "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n"+tc.doc, &c)
		a.enc = &c
		e := &emitter{}
		checkEncryption(a, e)
		switch {
		case tc.want == "" && len(e.out) > 0:
			t.Errorf("%s: unexpected %s", tc.doc, messages(e.out))
		case tc.want != "" && (len(e.out) != 1 || !strings.Contains(e.out[0].Message, tc.want)):
			t.Errorf("%s: got %s, want %q", tc.doc, messages(e.out), tc.want)
		}
	}
}

func TestAnonymousAuthentication(t *testing.T) {
	for _, tc := range []struct {
		flags []string
		authn string
		want  bool
	}{
		{flags: []string{"--anonymous-auth=false"}},
		{flags: nil, want: true},
		{flags: []string{"--anonymous-auth=true", "--authorization-mode=AlwaysAllow"}, want: true},
		{authn: "anonymous:\n  enabled: true\n  conditions: [{path: /healthz}, {path: /livez}, {path: /readyz}]\n"},
		{authn: "anonymous:\n  enabled: true\n", want: true},
		{authn: "anonymous:\n  enabled: false\n"},
		{authn: "jwt: []\n", want: true}, // no anonymous section: the flag's default applies
	} {
		a := apiserverWith(t, tc.flags...)
		if tc.authn != "" {
			var c apiserverv1.AuthenticationConfiguration
			a.authnFile = decodeInto(t, "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\n"+tc.authn, &c)
			a.authn = &c
		}
		e := &emitter{}
		checkAnonymousAuth(a, e)
		if got := len(e.out) > 0; got != tc.want {
			t.Errorf("%v %q: fired %v, want %v", tc.flags, tc.authn, got, tc.want)
		}
	}
}
