package etcdcheck

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"google.golang.org/protobuf/proto"
)

// writeBoltSnapshot writes a small etcd-shaped bbolt file: one aescbc
// Secret, one plaintext Secret later deleted, one plaintext ConfigMap.
func writeBoltSnapshot(t testing.TB, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	put := func(b *bolt.Bucket, main int64, key, value string, tombstone bool) error {
		rev := make([]byte, revBytesLen, revBytesLen+1)
		binary.BigEndian.PutUint64(rev, uint64(main))
		rev[8] = '_'
		if tombstone {
			rev = append(rev, 't')
		}
		v, err := proto.Marshal(&mvccpb.KeyValue{Key: []byte(key), Value: []byte(value), ModRevision: main})
		if err != nil {
			return err
		}
		return b.Put(rev, v)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(keyBucket)
		if err != nil {
			return err
		}
		for i, e := range []struct {
			key, value string
			tomb       bool
		}{
			{"/registry/secrets/a/enc", "k8s:enc:aescbc:v1:key1:" + secretMarker, false},
			{"/registry/secrets/a/plain", "k8s\x00" + secretMarker, false},
			{"/registry/configmaps/a/c", "k8s\x00" + secretMarker, false},
			{"/registry/secrets/a/plain", "", true},
			{"compact_rev_key", "x", false},
		} {
			if err := put(b, int64(i+2), e.key, e.value, e.tomb); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Like etcdctl snapshot save: the database, then its SHA-256.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if err := os.WriteFile(path, append(data, sum[:]...), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestVerifySnapshotFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snap.db")
	writeBoltSnapshot(t, path)
	rep, err := Verify(context.Background(), Options{Snapshot: path})
	if err != nil {
		t.Fatal(err)
	}
	assertNoMarker(t, rep)
	s, _ := rep.Resource(SecretsResource)
	if s.Total != 1 || s.ByProvider["aescbc:key1"] != 1 || rep.PlaintextSecrets != 0 {
		t.Errorf("secrets %+v", s)
	}
	if cm, _ := rep.Resource("configmaps"); cm.Plaintext != 1 || len(rep.Resources) != 2 {
		t.Errorf("resources %+v", rep.Resources)
	}
}

// FuzzSnapshot: a damaged snapshot file gives an error, never a panic.
func FuzzSnapshot(f *testing.F) {
	seed := filepath.Join(f.TempDir(), "seed.db")
	writeBoltSnapshot(f, seed)
	data, err := os.ReadFile(seed)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte("not a snapshot"))
	damaged := append([]byte(nil), data...)
	damaged[len(damaged)/2] ^= 0xff
	f.Add(damaged)
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "s.db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, _ = Verify(context.Background(), Options{Snapshot: path, Timeout: 1})
	})
}

func TestVerifySnapshotDamaged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snap.db")
	writeBoltSnapshot(t, path)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string][]byte{
		"flipped byte": append(append(append([]byte(nil), data[:100]...), data[100]^1), data[101:]...),
		"no hash":      data[:len(data)-32],
		"truncated":    data[:len(data)-1],
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "s.db")
			if err := os.WriteFile(p, d, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Verify(context.Background(), Options{Snapshot: p})
			if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "not an etcd snapshot") {
				t.Errorf("error %v", err)
			}
		})
	}
}
