package reencrypt_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kharden/kharden/internal/testcluster"
	"github.com/kharden/kharden/pkg/etcdcheck"
	"github.com/kharden/kharden/pkg/reencrypt"
)

// identityOnly stores secrets in plaintext, as a server without
// --encryption-provider-config does.
const identityOnly = `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: [secrets]
  providers:
  - identity: {}
`

// aescbcConfig writes with the first key and reads with all of them and
// plaintext.
func aescbcConfig(keys ...string) []byte {
	var b strings.Builder
	b.WriteString("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n" +
		"- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n")
	for _, k := range keys {
		secret := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte(k[len(k)-1:]), 32))
		fmt.Fprintf(&b, "      - name: %s\n        secret: %s\n", k, secret)
	}
	b.WriteString("  - identity: {}\n")
	return []byte(b.String())
}

// census counts the stored Secrets per provider ("aescbc:key1",
// etcdcheck.PlaintextProvider), reading etcd directly.
func census(t *testing.T, c *testcluster.Cluster) (map[string]int, *etcdcheck.Report) {
	t.Helper()
	rep, err := etcdcheck.Verify(context.Background(), etcdcheck.Options{
		Endpoints: []string{c.Env.ControlPlane.Etcd.URL.String()}, Prefix: "/registry"})
	if err != nil {
		t.Fatalf("etcdcheck: %v", err)
	}
	rc, _ := rep.Resource(etcdcheck.SecretsResource)
	return rc.ByProvider, rep
}

// TestProofReencrypt is the proof on real components: secrets
// written before encryption was turned on stay plaintext until reencrypt
// rewrites them; an interrupted run resumes; a key rotation is completed the
// same way; a second run writes nothing; every secret reads back unchanged.
func TestProofReencrypt(t *testing.T) {
	c := testcluster.Start(t, testcluster.Options{EncryptionConfig: []byte(identityOnly)})
	ctx := context.Background()
	cs := c.Client

	namespaces := []string{"proof-a", "proof"} // "proof-a" sorts before "proof/" in etcd
	const perNS = 100
	want := map[string]map[string][]byte{} // ns/name -> data
	var values []string
	for _, ns := range namespaces {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	create := func(ns, name string) {
		val := fmt.Sprintf("s3cr3t-value-%s-%s", ns, name)
		values = append(values, val)
		data := map[string][]byte{"password": []byte(val)}
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Data: data}
		if _, err := cs.CoreV1().Secrets(ns).Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		want[ns+"/"+name] = data
	}
	for _, ns := range namespaces {
		for i := range perNS {
			create(ns, fmt.Sprintf("old-%03d", i))
		}
	}

	// Encryption on: old secrets stay plaintext, new ones are encrypted.
	c.RestartAPIServer(t, aescbcConfig("key1"))
	for i := range 5 {
		create("proof", fmt.Sprintf("new-%d", i))
	}
	const plain = etcdcheck.PlaintextProvider
	if got, rep := census(t, c); got[plain] != 2*perNS || rep.PlaintextSecrets != 2*perNS || got["aescbc:key1"] != 5 {
		t.Fatalf("after turning encryption on: %v, want %d plaintext and 5 under key1", got, 2*perNS)
	}

	var out bytes.Buffer // everything reencrypt reports, to look for values
	opts := func() reencrypt.Options {
		return reencrypt.Options{
			Resources: []string{"secrets"}, QPS: 2000, ChunkSize: 30, CheckpointEvery: 25,
			ResumeFile: filepath.Join(t.TempDir(), "resume.json"),
			Progress:   func(p reencrypt.Progress) { fmt.Fprintf(&out, "%+v\n", p) },
		}
	}

	// A dry run writes nothing.
	dry := opts()
	res, err := reencrypt.Run(ctx, c.Config, dry)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&out, "%+v\n", res)
	if tot := res.Total(); tot.Rewritten < len(want) || tot.Failed != 0 {
		t.Errorf("dry run: %+v, want at least %d accepted", tot, len(want))
	}
	if got, _ := census(t, c); got[plain] != 2*perNS {
		t.Fatalf("dry run changed storage: %v", got)
	}
	if _, err := os.Stat(dry.ResumeFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dry run wrote the resume file: %v", err)
	}

	// applyInterrupted runs reencrypt, cancels it after 70 objects (the
	// "kill"), then resumes it from the resume file.
	applyInterrupted := func(stage, old, current string) reencrypt.Counts {
		o := opts()
		o.Apply = true
		runCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		done := 0
		var checkpoint []byte
		o.Progress = func(p reencrypt.Progress) {
			fmt.Fprintf(&out, "%+v\n", p)
			switch done++; done {
			case 60: // after the checkpoint at 50
				var err error
				if checkpoint, err = os.ReadFile(o.ResumeFile); err != nil {
					t.Errorf("%s: no checkpoint after 50 objects: %v", stage, err)
				}
			case 70:
				cancel()
			}
		}
		first, err := reencrypt.Run(runCtx, c.Config, o)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%s: interrupted run: err %v, want context.Canceled", stage, err)
		}
		if _, err := os.Stat(o.ResumeFile); err != nil {
			t.Fatalf("%s: no resume file after the interruption: %v", stage, err)
		}
		// A kill -9 does not write the file on the way out: go back to the
		// last periodic checkpoint; objects 51-70 are done again.
		if err := os.WriteFile(o.ResumeFile, checkpoint, 0o600); err != nil {
			t.Fatal(err)
		}
		// Half done: some objects still under the old storage, some under
		// the new key.
		if mid, _ := census(t, c); mid[old] == 0 || mid[current] == 0 {
			t.Fatalf("%s: after the interruption %v, want some under %s and some under %s", stage, mid, old, current)
		}
		o.Progress = func(p reencrypt.Progress) { fmt.Fprintf(&out, "%+v\n", p) }
		second, err := reencrypt.Run(ctx, c.Config, o)
		if err != nil {
			t.Fatalf("%s: resumed run: %v", stage, err)
		}
		fmt.Fprintf(&out, "%+v\n%+v\n", first, second)
		t.Logf("%s: interrupted run %+v, resumed run %+v", stage, first.Total(), second.Total())
		if second.Total().Skipped != 50 {
			t.Errorf("%s: resumed run skipped %d objects, want the 50 of the checkpoint", stage, second.Total().Skipped)
		}
		if _, err := os.Stat(o.ResumeFile); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: resume file left after a complete run: %v", stage, err)
		}
		tot := first.Total()
		tot.Rewritten += second.Total().Rewritten
		tot.Failed += second.Total().Failed
		return tot
	}
	checkData := func(stage string) {
		for key, data := range want {
			ns, name, _ := strings.Cut(key, "/")
			s, err := cs.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("%s: %v", stage, err)
			}
			if !bytes.Equal(s.Data["password"], data["password"]) || len(s.Data) != len(data) {
				t.Fatalf("%s: secret %s changed", stage, key)
			}
		}
	}
	secondRun := func(stage string) {
		o := opts()
		o.Apply = true
		res, err := reencrypt.Run(ctx, c.Config, o)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "%+v\n", res)
		t.Logf("%s: second run: %+v", stage, res.Total())
		if tot := res.Total(); tot.Rewritten != 0 || tot.Unchanged < len(want) {
			t.Errorf("%s: second run %+v, want nothing rewritten", stage, tot)
		}
	}

	tot := applyInterrupted("encrypt", plain, "aescbc:key1")
	if tot.Rewritten < 2*perNS || tot.Failed != 0 {
		t.Errorf("encrypt: %+v, want %d rewritten", tot, 2*perNS)
	}
	if got, rep := census(t, c); got["aescbc:key1"] != len(want) || rep.PlaintextSecrets != 0 {
		t.Fatalf("after reencrypt: %v, want all %d under key1", got, len(want))
	}
	checkData("encrypt")
	secondRun("encrypt")

	// Rotation: key2 writes, key1 still reads.
	c.RestartAPIServer(t, aescbcConfig("key2", "key1"))
	if got, _ := census(t, c); got["aescbc:key1"] != len(want) {
		t.Fatalf("after rotation, before reencrypt: %v", got)
	}
	tot = applyInterrupted("rotate", "aescbc:key1", "aescbc:key2")
	if tot.Rewritten < len(want) || tot.Failed != 0 {
		t.Errorf("rotate: %+v, want %d rewritten", tot, len(want))
	}
	if got, rep := census(t, c); got["aescbc:key2"] != len(want) || rep.PlaintextSecrets != 0 {
		t.Fatalf("after rotation: %v, want all %d under key2", got, len(want))
	}
	checkData("rotate")
	secondRun("rotate")

	for _, v := range values {
		if strings.Contains(out.String(), v) {
			t.Fatalf("a secret value appears in reencrypt's results or progress")
		}
	}
	if out.Len() == 0 {
		t.Fatal("no output to check for secret values")
	}
}
