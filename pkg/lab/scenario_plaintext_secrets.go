package lab

import (
	"context"
	"fmt"
	"strings"
)

// plaintextSecrets reproduces incident 2 on the real store: the legacy
// Secrets are written while the API server runs without encryption, then the
// API server restarts with the lab's EncryptionConfiguration and the new
// Secret is written encrypted. The legacy ones stay plaintext in etcd until
// rewritten. If the lab already encrypts, it is restarted without encryption
// first, so applying the scenario again keeps the same picture (and
// encryption stays on afterwards).
func plaintextSecrets(ctx context.Context, r *scenarioRun) error {
	legacy := func(p string) bool { return strings.HasSuffix(p, "/legacy-secrets.yaml") }
	if err := r.setEncryption(ctx, false); err != nil {
		return err
	}
	if err := r.applyFiles(ctx, legacy); err != nil {
		return err
	}
	if err := r.setEncryption(ctx, true); err != nil {
		return err
	}
	return r.applyFiles(ctx, func(p string) bool { return !legacy(p) })
}

func (r *scenarioRun) setEncryption(ctx context.Context, on bool) error {
	s, err := r.lab.readState()
	if err != nil {
		return err
	}
	if s == nil || s.Encryption == on {
		return nil
	}
	word := map[bool]string{true: "with", false: "without"}[on]
	fmt.Fprintf(r.progress, "restarting kube-apiserver %s encryption at rest\n", word)
	if err := r.lab.SetEncryption(ctx, on); err != nil {
		return err
	}
	r.result.Notes = append(r.result.Notes, "kube-apiserver restarted "+word+" --encryption-provider-config="+r.lab.encryptionConfigPath())
	return r.connect()
}
