package reencrypt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// resumeVersion is the format version of the resume file.
const resumeVersion = 1

// resumeState is the resume file: for each resource (its resolved
// group/version/resource string) the key of the last object done, as
// "namespace/name" or "name" for cluster-scoped resources, and whether the
// resource is complete. Namespace is the namespace the run was restricted to;
// a file written for another namespace is refused.
type resumeState struct {
	Version   int                        `json:"version"`
	Namespace string                     `json:"namespace,omitempty"`
	Resources map[string]*resumeResource `json:"resources"`
}

// resumeResource is one resource's progress in a resume file.
type resumeResource struct {
	Last     string `json:"last,omitempty"`
	Complete bool   `json:"complete,omitempty"`
}

// loadResume reads a resume file; a file that does not exist is an empty
// state (a first run).
func loadResume(path, namespace string) (*resumeState, error) {
	st := &resumeState{Version: resumeVersion, Namespace: namespace, Resources: map[string]*resumeResource{}}
	if path == "" {
		return st, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("resume file: %w", err)
	}
	got, err := parseResume(data)
	if err != nil {
		return nil, fmt.Errorf("resume file %s: %w", path, err)
	}
	if got.Namespace != namespace {
		return nil, fmt.Errorf("resume file %s: written for namespace %q, this run is for %q", path, got.Namespace, namespace)
	}
	return got, nil
}

// parseResume decodes and checks a resume file's content.
func parseResume(data []byte) (*resumeState, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var st resumeState
	if err := dec.Decode(&st); err != nil {
		return nil, jsonError(data, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("unexpected data after the JSON object")
	}
	if st.Version != resumeVersion {
		return nil, fmt.Errorf("unsupported version %d (want %d)", st.Version, resumeVersion)
	}
	if st.Resources == nil {
		st.Resources = map[string]*resumeResource{}
	}
	for name, r := range st.Resources {
		if r == nil {
			return nil, fmt.Errorf("resource %q: null entry", name)
		}
	}
	return &st, nil
}

// jsonError adds the line of a JSON syntax or type error.
func jsonError(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return err
	}
	return fmt.Errorf("line %d: %w", bytes.Count(data[:off], []byte("\n"))+1, err)
}

// save writes the state atomically: a temporary file in the same directory,
// renamed over path, so an interrupted write never leaves half a file.
func (st *resumeState) save(path string) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("resume file: %w", err)
	}
	_, werr := tmp.Write(append(data, '\n'))
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("resume file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("resume file: %w", err)
	}
	return nil
}

// entry returns the progress record of a resource, creating it.
func (st *resumeState) entry(resource string) *resumeResource {
	r := st.Resources[resource]
	if r == nil {
		r = &resumeResource{}
		st.Resources[resource] = r
	}
	return r
}
