package auditserve

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrSpoolFull is returned by Put when a batch would take the spool over
// its byte limit.
var ErrSpoolFull = errors.New("spool full")

// spoolSuffix ends the name of every committed spool file; temporary files
// start with tmpPrefix and are removed at start-up (their batches were
// never acknowledged).
const (
	spoolSuffix = ".json"
	tmpPrefix   = ".tmp-"
)

// Spool is a directory of accepted batches, one file each, named by a
// number that grows with arrival. A batch is in the spool (and may be
// acknowledged) once Put returns: the file was written to a temporary
// name, synced, renamed, and the directory synced.
type Spool struct {
	dir      string
	maxBytes int64

	mu    sync.Mutex
	seq   uint64
	queue []spoolFile // committed, not yet taken, in arrival order
	bytes int64       // committed and reserved bytes, taken ones included until Done
	files int
	ready chan struct{} // closed and replaced when the queue grows
}

type spoolFile struct {
	name string
	size int64
}

// OpenSpool opens (creating it) a spool directory: files left by an
// earlier run are queued first, in the order they arrived; temporary
// files of unfinished writes are removed.
func OpenSpool(dir string, maxBytes int64) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s := &Spool{dir: dir, maxBytes: maxBytes, ready: make(chan struct{})}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, tmpPrefix) {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return nil, fmt.Errorf("spool: removing an unfinished write: %w", err)
			}
			continue
		}
		n, ok := parseSpoolName(name)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
		s.queue = append(s.queue, spoolFile{name: name, size: info.Size()})
		s.bytes += info.Size()
		s.files++
		s.seq = max(s.seq, n)
	}
	slices.SortFunc(s.queue, func(a, b spoolFile) int { return strings.Compare(a.name, b.name) })
	return s, nil
}

// parseSpoolName reads the sequence number of a committed spool file.
func parseSpoolName(name string) (uint64, bool) {
	num, ok := strings.CutSuffix(name, spoolSuffix)
	if !ok || len(num) != 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(num, 10, 64)
	return n, err == nil
}

// Dir is the spool directory.
func (s *Spool) Dir() string { return s.dir }

// Usage returns the bytes and files in the spool (taken files included
// until they are done).
func (s *Spool) Usage() (bytes int64, files int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes, s.files
}

// Put stores one batch durably. It returns ErrSpoolFull when the batch
// would take the spool over its limit; a batch is always accepted into an
// empty spool, so one batch larger than the limit cannot block forever.
func (s *Spool) Put(body []byte) error {
	size := int64(len(body))
	s.mu.Lock()
	if s.maxBytes > 0 && s.bytes > 0 && s.bytes+size > s.maxBytes {
		s.mu.Unlock()
		return ErrSpoolFull
	}
	// Names grow with time so that they also order batches across
	// restarts, and with a counter within one clock tick.
	s.seq = max(s.seq+1, uint64(time.Now().UnixNano()))
	name := fmt.Sprintf("%020d%s", s.seq, spoolSuffix)
	s.bytes += size
	s.files++
	s.mu.Unlock()

	if err := s.write(name, body); err != nil {
		s.mu.Lock()
		s.bytes -= size
		s.files--
		s.mu.Unlock()
		return err
	}
	s.mu.Lock()
	s.queue = append(s.queue, spoolFile{name: name, size: size})
	close(s.ready)
	s.ready = make(chan struct{})
	s.mu.Unlock()
	return nil
}

// write writes a file under a temporary name, syncs it, renames it to
// name and syncs the directory, so that the name survives a crash.
func (s *Spool) write(name string, body []byte) (err error) {
	tmp := filepath.Join(s.dir, tmpPrefix+name)
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	if _, err := f.Write(body); err != nil {
		_ = f.Close()
		return fmt.Errorf("spool: %w", err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("spool: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, name)); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return syncDir(s.dir)
}

// syncDir makes the directory's entries (a rename) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("spool: syncing %s: %w", dir, err)
	}
	return nil
}

// Next returns the oldest batch not yet taken, waiting until there is one
// or stop is closed (then ok is false).
func (s *Spool) Next(stop <-chan struct{}) (name string, ok bool) {
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			f := s.queue[0]
			s.queue = s.queue[1:]
			s.mu.Unlock()
			return f.name, true
		}
		ready := s.ready
		s.mu.Unlock()
		select {
		case <-ready:
		case <-stop:
			return "", false
		}
	}
}

// Path is the file of a batch.
func (s *Spool) Path(name string) string { return filepath.Join(s.dir, name) }

// Done removes a taken batch, or moves it into toDir when toDir is set.
func (s *Spool) Done(name, toDir string) error {
	path := s.Path(name)
	info, statErr := os.Stat(path)
	var err error
	if toDir != "" {
		err = moveFile(path, toDir, name)
	} else {
		err = os.Remove(path)
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("spool: %w", err)
	}
	if statErr == nil {
		s.mu.Lock()
		s.bytes -= info.Size()
		s.files--
		s.mu.Unlock()
	}
	return nil
}

// moveFile moves path into dir under name (or name with a suffix when
// taken), copying across file systems.
func moveFile(path, dir, name string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	dst := filepath.Join(dir, name)
	for i := 1; ; i++ {
		if _, err := os.Lstat(dst); errors.Is(err, os.ErrNotExist) {
			break
		}
		dst = filepath.Join(dir, fmt.Sprintf("%s.%d", name, i))
	}
	if err := os.Rename(path, dst); err == nil {
		return syncDir(dir)
	}
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		_ = out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	return os.Remove(path)
}

// Writable checks that a file can be created in the spool directory.
func (s *Spool) Writable() error {
	f, err := os.CreateTemp(s.dir, tmpPrefix+"probe-")
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	name := f.Name()
	_ = f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}
