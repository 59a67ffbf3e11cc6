package controlplane

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// seedFiles adds every file of the fixtures whose name ends in suffix.
func seedFiles(f *testing.F, suffix string) {
	f.Helper()
	_ = filepath.WalkDir("testdata", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, suffix) && !strings.Contains(p, "fuzz") && !strings.Contains(p, "cloud") {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
		return nil
	})
}

func FuzzParseManifest(f *testing.F) {
	seedFiles(f, ".yaml")
	f.Add([]byte("kind: Pod\nspec:\n  containers:\n  - command: [kube-apiserver, --a, b, c, --]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pods, err := ParseManifest("m.yaml", data)
		if err != nil && !strings.HasPrefix(err.Error(), "m.yaml") {
			t.Fatalf("error does not name the file: %v", err)
		}
		for _, p := range pods {
			for _, fl := range p.Flags {
				if fl.Line < 0 {
					t.Fatalf("negative line")
				}
			}
		}
	})
}

func FuzzReadKubelet(f *testing.F) {
	seedFiles(f, "config.yaml")
	f.Add([]byte("KUBELET_EXTRA_ARGS=\"--read-only-port=1 --anonymous-auth\"\n"))
	f.Add([]byte("Environment=\"X=--authorization-mode AlwaysAllow\"\nExecStart=/k $X --v 2 \\\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, split := range []bool{false, true} {
			var k *Kubelet
			var errs []error
			if split {
				k, errs = ReadKubelet("", nil, "flags", data)
			} else {
				k, errs = ReadKubelet("config.yaml", data, "", nil)
			}
			if k == nil && len(errs) == 0 {
				t.Fatal("no configuration and no error")
			}
			for _, err := range errs {
				if !strings.HasPrefix(err.Error(), "config.yaml") && !strings.HasPrefix(err.Error(), "flags") {
					t.Fatalf("error does not name the file: %v", err)
				}
			}
		}
	})
}

func FuzzDecodeConfig(f *testing.F) {
	seedFiles(f, ".yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		var (
			enc   apiserverv1.EncryptionConfiguration
			audit auditv1.Policy
			authn apiserverv1.AuthenticationConfiguration
			authz apiserverv1.AuthorizationConfiguration
		)
		for _, tc := range []struct {
			versions []string
			kind     string
			out      any
		}{
			{encryptionVersions, "EncryptionConfiguration", &enc},
			{auditVersions, "Policy", &audit},
			{authnVersions, "AuthenticationConfiguration", &authn},
			{authzVersions, "AuthorizationConfiguration", &authz},
		} {
			cf, err := decodeConfig("c.yaml", "x", data, tc.versions, tc.kind, tc.out)
			if err != nil {
				if !strings.HasPrefix(err.Error(), "c.yaml") {
					t.Fatalf("error does not name the file: %v", err)
				}
				continue
			}
			// Run the rules on whatever decoded: they must not panic.
			a := &apiserver{pod: &StaticPod{File: "m.yaml"}, unreadable: map[string]bool{}}
			switch tc.kind {
			case "EncryptionConfiguration":
				a.enc, a.encFile = &enc, cf
				a.pod.Flags = Flags{{Name: "encryption-provider-config", Value: "c.yaml", HasValue: true}}
			case "Policy":
				a.audit, a.auditFile = &audit, cf
			case "AuthenticationConfiguration":
				a.authn, a.authnFile = &authn, cf
			case "AuthorizationConfiguration":
				a.authz, a.authzFile = &authz, cf
			}
			e := &emitter{}
			for _, c := range apiserverChecks {
				c(a, e)
			}
		}
	})
}
