package controlplane

import (
	"testing"
)

func TestReadKubeletPrecedence(t *testing.T) {
	cfg := []byte("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nreadOnlyPort: 0\n")
	for _, tc := range []struct {
		name            string
		cfg, flags      []byte
		anon            bool
		mode            string
		port            int32
		anonLine, prtLn int
	}{
		{name: "file defaults", cfg: cfg, mode: "Webhook", prtLn: 3},
		{name: "flags override the file", cfg: cfg, flags: []byte("KUBELET_EXTRA_ARGS=--read-only-port=10255 --anonymous-auth\n"),
			anon: true, mode: "Webhook", port: 10255, anonLine: 1, prtLn: 1},
		{name: "no file: legacy flag defaults", flags: []byte("--node-ip=10.0.0.1\n"), anon: true, mode: "AlwaysAllow", port: 10255},
		{name: "no file, hardened flags", flags: []byte("--anonymous-auth=false --authorization-mode=Webhook --read-only-port=0\n"),
			mode: "Webhook", anonLine: 1, prtLn: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, errs := ReadKubelet("config.yaml", tc.cfg, "flags.env", tc.flags)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if k.AnonymousAuth.Value != tc.anon || k.Authorization.Value != tc.mode || k.ReadOnlyPort.Value != tc.port {
				t.Errorf("got anonymous %v mode %s port %d", k.AnonymousAuth.Value, k.Authorization.Value, k.ReadOnlyPort.Value)
			}
			if k.AnonymousAuth.Source.Line != tc.anonLine || k.ReadOnlyPort.Source.Line != tc.prtLn {
				t.Errorf("lines: anonymous %d port %d", k.AnonymousAuth.Source.Line, k.ReadOnlyPort.Source.Line)
			}
		})
	}
}
