package controlplane

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTree writes files (path relative to the returned root -> content).
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const apiserverHead = `apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver-x
spec:
  containers:
  - name: kube-apiserver
    command:
    - kube-apiserver
`

const badSecret = "KHARDEN-FIXTURE-KEY-MUST-NOT-LEAK"

func TestBadInput(t *testing.T) {
	manifests := "etc/kubernetes/manifests/"
	for _, tc := range []struct {
		name  string
		files map[string]string
		opts  func(root string) Options
		// want are substrings of one error each: file names, flags, lines.
		want     []string
		warnings int
	}{
		{
			name: "explicit manifests directory missing",
			opts: func(root string) Options { return Options{Root: root, Manifests: filepath.Join(root, "nope")} },
			want: []string{"nope: reading manifests directory: no such file or directory"},
		},
		{
			name:  "malformed manifest YAML",
			files: map[string]string{manifests + "kube-apiserver.yaml": "apiVersion: v1\nkind: Pod\nspec: [\n"},
			want:  []string{"kube-apiserver.yaml:3: malformed YAML"},
		},
		{
			name:  "command is not a list",
			files: map[string]string{manifests + "etcd.yaml": "kind: Pod\nspec:\n  containers:\n  - name: etcd\n    command: etcd --x\n"},
			want:  []string{"etcd.yaml:5: command and args must be lists of strings"},
		},
		{
			name: "missing referenced files",
			files: map[string]string{manifests + "kube-apiserver.yaml": apiserverHead +
				"    - --encryption-provider-config=/etc/kubernetes/enc.yaml\n" +
				"    - --audit-policy-file=/etc/kubernetes/audit.yaml\n" +
				"    - --token-auth-file=/etc/kubernetes/tokens.csv\n"},
			want: []string{
				"etc/kubernetes/audit.yaml (named by --audit-policy-file): no such file or directory",
				"etc/kubernetes/enc.yaml (named by --encryption-provider-config): no such file or directory",
				"etc/kubernetes/tokens.csv (named by --token-auth-file): no such file or directory",
			},
		},
		{
			name: "malformed and mistyped referenced files never quote keys",
			files: map[string]string{
				manifests + "kube-apiserver.yaml": apiserverHead +
					"    - --encryption-provider-config=/enc.yaml\n" +
					"    - --authentication-config=/authn.yaml\n" +
					"    - --authorization-config=/authz.yaml\n",
				"enc.yaml":   "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- providers:\n  - aescbc:\n      keys:\n      - name: k\n        secret: [" + badSecret + "\n",
				"authn.yaml": "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\n",
				"authz.yaml": "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers: 7\nextra: " + badSecret + "\n",
			},
			want: []string{
				"authn.yaml:2 (named by --authentication-config): expected kind AuthenticationConfiguration",
				"authz.yaml (named by --authorization-config): does not match the AuthorizationConfiguration schema",
				"enc.yaml:7 (named by --encryption-provider-config): malformed YAML",
			},
		},
		{
			name: "stray words are warnings",
			files: map[string]string{manifests + "kube-apiserver.yaml": apiserverHead +
				"    - --anonymous-auth=false\n    - surprise\n"},
			warnings: 1,
		},
		{
			name:  "kubelet configuration of another kind",
			files: map[string]string{"var/lib/kubelet/config.yaml": "apiVersion: v1\nkind: ConfigMap\n"},
			want:  []string{"config.yaml:2: expected kind KubeletConfiguration"},
		},
		{
			name:  "kubelet configuration malformed",
			files: map[string]string{"var/lib/kubelet/config.yaml": "readOnlyPort: [\n"},
			want:  []string{"config.yaml:1: malformed YAML"},
		},
		{
			name:  "kubelet flags with a bad port",
			files: map[string]string{"flags": "KUBELET_EXTRA_ARGS=--read-only-port=http\n"},
			opts:  func(root string) Options { return Options{Root: root, KubeletFlags: filepath.Join(root, "flags")} },
			want:  []string{"flags:1: --read-only-port is not a port number"},
		},
		{
			name: "nothing to check",
			want: []string{"nothing to check"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := writeTree(t, tc.files)
			opts := Options{Root: root}
			if tc.opts != nil {
				opts = tc.opts(root)
			}
			res := Check(context.Background(), opts)
			var errs []string
			warnings := 0
			for _, err := range res.Errors {
				var ie *InputError
				if errors.As(err, &ie) && ie.Warning {
					warnings++
					continue
				}
				errs = append(errs, err.Error())
				if strings.Contains(err.Error(), badSecret) {
					t.Errorf("error quotes secret material: %v", err)
				}
			}
			if len(errs) != len(tc.want) || warnings != tc.warnings {
				t.Fatalf("errors:\n%s\nwarnings %d; want %d errors %q and %d warnings", strings.Join(errs, "\n"), warnings, len(tc.want), tc.want, tc.warnings)
			}
			for i, w := range tc.want {
				if !strings.Contains(errs[i], w) {
					t.Errorf("error %q does not contain %q", errs[i], w)
				}
			}
		})
	}
}
