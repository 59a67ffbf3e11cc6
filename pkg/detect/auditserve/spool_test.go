package auditserve

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSpool(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	sp, err := OpenSpool(dir, 10)
	if err != nil {
		t.Fatal(err)
	}
	if err := sp.Put([]byte("0123456789ab")); err != nil {
		t.Fatalf("a batch into an empty spool must be accepted, even over the limit: %v", err)
	}
	if err := sp.Put([]byte("x")); !errors.Is(err, ErrSpoolFull) {
		t.Fatalf("over the limit: %v", err)
	}
	stop := make(chan struct{})
	first, ok := sp.Next(stop)
	if !ok {
		t.Fatal("no batch")
	}
	if err := sp.Done(first, ""); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"a", "b", "c"} {
		if err := sp.Put([]byte(b)); err != nil {
			t.Fatal(err)
		}
	}
	if b, n := sp.Usage(); b != 3 || n != 3 {
		t.Errorf("usage %d bytes %d files", b, n)
	}
	writeServeFile(t, filepath.Join(dir, tmpPrefix+"junk"), []byte("unacknowledged"))
	writeServeFile(t, filepath.Join(dir, "README"), []byte("not ours"))

	// Reopened, as after a crash: the three batches come back in order;
	// the unfinished write is gone.
	re, err := OpenSpool(dir, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 3 {
		name, _ := re.Next(stop)
		b, err := os.ReadFile(re.Path(name))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(b))
		if err := re.Done(name, filepath.Join(t.TempDir(), "archive")); err != nil {
			t.Fatal(err)
		}
	}
	if got[0] != "a" || got[1] != "b" || got[2] != "c" {
		t.Errorf("order %v", got)
	}
	close(stop)
	if _, ok := re.Next(stop); ok {
		t.Error("Next returned a batch from an empty spool")
	}
	if _, err := os.Stat(filepath.Join(dir, tmpPrefix+"junk")); !os.IsNotExist(err) {
		t.Errorf("unfinished write left: %v", err)
	}
	if b, n := re.Usage(); b != 0 || n != 0 {
		t.Errorf("usage after draining: %d bytes %d files", b, n)
	}
}
