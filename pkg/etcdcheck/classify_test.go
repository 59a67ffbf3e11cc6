package etcdcheck

import (
	"testing"
	"unicode/utf8"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name, value, provider string
		plaintext             bool
	}{
		{"aescbc", "k8s:enc:aescbc:v1:key1:\x8f\x00ciphertext", "aescbc:key1", false},
		{"aesgcm", "k8s:enc:aesgcm:v1:k-2:xyz", "aesgcm:k-2", false},
		{"secretbox", "k8s:enc:secretbox:v1:sb:xyz", "secretbox:sb", false},
		{"kms v1", "k8s:enc:kms:v1:vault:\x00\x01", "kms:v1:vault", false},
		{"kms v2", "k8s:enc:kms:v2:vault:\n\x05", "kms:v2:vault", false},
		{"protobuf", "k8s\x00\n\x0c\n\x02v1\x12\x06Secret", PlaintextProvider, true},
		{"json", `{"kind":"Secret"}`, PlaintextProvider, true},
		{"json with space", " \n{}", PlaintextProvider, true},
		{"empty", "", UnknownProvider, false},
		{"other", "hello", UnknownProvider, false},
		{"envelope without name", "k8s:enc:aescbc:v1::xyz", UnknownProvider, false},
		{"envelope without end", "k8s:enc:aescbc:v1:key1", UnknownProvider, false},
		{"envelope with binary name", "k8s:enc:aescbc:v1:k\x1b[31m:x", UnknownProvider, false},
		{"unknown provider", "k8s:enc:rot13:v1:k:x", UnknownProvider, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify([]byte(tc.value))
			if got.Provider != tc.provider || got.Plaintext != tc.plaintext {
				t.Errorf("Classify(%q) = %+v, want %s plaintext=%v", tc.value, got, tc.provider, tc.plaintext)
			}
		})
	}
}

func TestResourceOf(t *testing.T) {
	for _, tc := range []struct{ prefix, key, want string }{
		{"/registry", "/registry/secrets/default/s1", "secrets"},
		{"/registry/", "/registry/secrets/default/s1", "secrets"},
		{"/registry", "/registry/namespaces/default", "namespaces"},
		{"/registry", "/registry/apiregistration.k8s.io/apiservices/v1.apps", "apiservices.apiregistration.k8s.io"},
		{"/registry", "/registry/example.com/widgets/ns/w", "widgets.example.com"},
		{"/registry", "/registry/services/specs/default/kubernetes", "services"},
		{"/registry", "/registry/ranges/serviceips", "ranges"},
		{"/registry", "/registry/health", "health"},
		{"/registry", "/other/secrets/a/b", ""},
		{"/registry", "/registrysecrets/a", ""},
		{"/custom", "/custom/secrets/ns/a", "secrets"},
	} {
		if got := ResourceOf(tc.prefix, tc.key); got != tc.want {
			t.Errorf("ResourceOf(%q, %q) = %q, want %q", tc.prefix, tc.key, got, tc.want)
		}
	}
}

func TestTallyReport(t *testing.T) {
	tl := tally{}
	tl.add("/registry", "/registry/secrets/a/one", []byte("k8s:enc:aescbc:v1:key1:x"))
	tl.add("/registry", "/registry/secrets/a/two", []byte("k8s\x00rest"))
	tl.add("/registry", "/registry/configmaps/a/c", []byte("k8s\x00rest"))
	r := tl.report()
	if len(r.Resources) != 2 || r.Resources[0].Resource != "configmaps" || r.Resources[1].Resource != "secrets" {
		t.Fatalf("resources %+v", r.Resources)
	}
	s, _ := r.Resource("secrets")
	if s.Total != 2 || s.Plaintext != 1 || s.ByProvider["aescbc:key1"] != 1 || s.ByProvider[PlaintextProvider] != 1 {
		t.Errorf("secrets %+v", s)
	}
	if r.PlaintextSecrets != 1 {
		t.Errorf("PlaintextSecrets %d", r.PlaintextSecrets)
	}
}

// FuzzClassify: any stored value classifies without panic, into a provider
// name that is short, printable and never contains the ciphertext.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{"k8s:enc:aescbc:v1:key1:secretdata", "k8s:enc:kms:v2:v:", "k8s\x00x", "{}", "", "k8s:enc:aesgcm:v1:"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		st := Classify(v)
		if len(st.Provider) > maxKeyName+20 || !utf8.ValidString(st.Provider) {
			t.Fatalf("provider %q", st.Provider)
		}
		for _, c := range []byte(st.Provider) {
			if c < ' ' || c >= 0x7f {
				t.Fatalf("provider %q not printable", st.Provider)
			}
		}
		if st.Plaintext != (st.Provider == PlaintextProvider) {
			t.Fatalf("inconsistent %+v", st)
		}
	})
}

// FuzzResourceOf: any key gives a resource without panic.
func FuzzResourceOf(f *testing.F) {
	for _, s := range []string{"/registry/secrets/a/b", "/registry/a.b/c/d", "/registry/", "/registry", "x"} {
		f.Add("/registry", s)
	}
	f.Fuzz(func(t *testing.T, prefix, key string) {
		_ = ResourceOf(prefix, key)
	})
}
