// Package logfiles turns the inputs of the log detectors (audit and DNS
// logs) into the files to read, in the order to read them: a directory
// stands for the log files in it (a log directory with its rotated, maybe
// gzipped, files), and files are read in the order of their first record,
// so rotated files may be given in any order.
package logfiles

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Stdin is the input name of standard input.
const Stdin = "-"

// InputError is an input that gives no file to read.
type InputError struct {
	Path string
	Err  error
}

func (e *InputError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Expand replaces each directory by the regular files directly in it,
// hidden ones left out, sorted by name. A directory without such a file,
// or one that cannot be listed, is an error naming it; the other inputs
// are kept.
func Expand(inputs []string) (files []string, errs []*InputError) {
	for _, in := range inputs {
		if in == Stdin {
			files = append(files, in)
			continue
		}
		st, err := os.Stat(in)
		if err != nil || !st.IsDir() {
			files = append(files, in) // opening it reports the problem
			continue
		}
		entries, err := os.ReadDir(in)
		if err != nil {
			errs = append(errs, &InputError{Path: in, Err: err})
			continue
		}
		n := 0
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			p := filepath.Join(in, e.Name())
			if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
				continue // subdirectories, sockets, broken links
			}
			files = append(files, p)
			n++
		}
		if n == 0 {
			errs = append(errs, &InputError{Path: in, Err: errors.New("a directory without log files")})
		}
	}
	return files, errs
}

// OrderByFirst sorts inputs by the time first gives (the time of a file's
// first record; zero when it has none or cannot be read). Timed inputs come
// first, oldest first; the others (stdin, unreadable or untimed files)
// after them, in the order given.
func OrderByFirst(inputs []string, first func(path string) time.Time) []string {
	type in struct {
		name  string
		first time.Time
	}
	ins := make([]in, len(inputs))
	for i, name := range inputs {
		ins[i] = in{name: name}
		if name != Stdin {
			ins[i].first = first(name)
		}
	}
	sort.SliceStable(ins, func(a, b int) bool {
		x, y := ins[a], ins[b]
		if x.first.IsZero() != y.first.IsZero() {
			return !x.first.IsZero()
		}
		return x.first.Before(y.first)
	})
	out := make([]string, len(ins))
	for i, x := range ins {
		out[i] = x.name
	}
	return out
}
