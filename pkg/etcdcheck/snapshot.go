package etcdcheck

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	bolt "go.etcd.io/bbolt"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"google.golang.org/protobuf/proto"
)

// keyBucket is the bbolt bucket etcd keeps its key-value revisions in.
var keyBucket = []byte("key")

// revBytesLen is the length of a revision key (8 bytes main revision, '_',
// 8 bytes sub revision); a tombstone (a deletion) has one more byte, 't'.
const revBytesLen = 17

// minEntrySize is less than the bytes one entry takes in a bbolt file (a
// 16-byte leaf element plus its key).
const minEntrySize = 16

// verifySnapshot counts the latest revision of every key under the prefix
// in an etcd snapshot saved by `etcdctl snapshot save` (the bbolt database
// followed by its SHA-256, which is checked first: a stopped member's
// member/snap/db has no hash and is refused). A file crafted with a valid
// hash and a looping page tree can still make bbolt spin; snapshots are
// the operator's own backups.
// A damaged file can make bbolt panic or fault on its memory map; that is
// bad input, reported as an error.
func verifySnapshot(o Options) (rep *Report, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			rep, err = nil, fmt.Errorf("--snapshot %s: not an etcd snapshot (damaged: %v)", o.Snapshot, r)
		}
	}()
	fi, err := os.Stat(o.Snapshot)
	if err != nil {
		return nil, fmt.Errorf("--snapshot: %w", err)
	}
	// bbolt trusts its page tree: a damaged one can loop for ever, so the
	// snapshot's own integrity hash is checked before bbolt reads it.
	if err := verifySnapshotHash(o.Snapshot, fi.Size()); err != nil {
		return nil, fmt.Errorf("--snapshot %s: %w", o.Snapshot, err)
	}
	// A real file cannot hold more entries than it has bytes for.
	maxEntries := fi.Size()/minEntrySize + 1
	db, err := bolt.Open(o.Snapshot, 0o400, &bolt.Options{ReadOnly: true, Timeout: o.Timeout})
	if err != nil {
		return nil, fmt.Errorf("--snapshot %s: not an etcd snapshot: %w", o.Snapshot, err)
	}
	defer db.Close()
	start := strings.TrimSuffix(o.Prefix, "/") + "/"
	// Revisions come in order, so the last one seen for a key is its
	// current state; only the classification is kept, never the value.
	latest := map[string]Storage{}
	err = db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(keyBucket)
		if b == nil {
			return fmt.Errorf("no %q bucket", keyBucket)
		}
		entries := int64(0)
		return b.ForEach(func(rev, v []byte) error {
			if entries++; entries > maxEntries {
				return errors.New("more entries than the file can hold")
			}
			var kv mvccpb.KeyValue
			if err := proto.Unmarshal(v, &kv); err != nil {
				return fmt.Errorf("revision %x: %w", rev, err)
			}
			key := string(kv.Key)
			if !strings.HasPrefix(key, start) {
				return nil
			}
			if len(rev) > revBytesLen && rev[revBytesLen] == 't' {
				delete(latest, key)
				return nil
			}
			latest[key] = Classify(kv.Value)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("--snapshot %s: not an etcd snapshot: %w", o.Snapshot, err)
	}
	t := tally{}
	for key, st := range latest {
		t.addStorage(o.Prefix, key, st)
	}
	return t.report(), nil
}

// verifySnapshotHash checks the SHA-256 etcd appends to a snapshot (the
// database is a whole number of 512-byte blocks, the hash follows).
func verifySnapshotHash(path string, size int64) error {
	if size < sha256.Size || size%512 != sha256.Size {
		return errors.New("not an etcd snapshot (no integrity hash; save one with etcdctl snapshot save)")
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyN(h, f, size-sha256.Size); err != nil {
		return err
	}
	want := make([]byte, sha256.Size)
	if _, err := io.ReadFull(f, want); err != nil {
		return err
	}
	if !bytes.Equal(h.Sum(nil), want) {
		return errors.New("not an etcd snapshot, or damaged (integrity hash mismatch)")
	}
	return nil
}
