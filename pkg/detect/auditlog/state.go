package auditlog

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kharden/kharden/pkg/detect/window"
)

// persistent detectors carry what they learnt (baselines, the identities
// that read Secrets during the warm-up) from one run to the next.
type persistent interface {
	saveState() (any, error)
	loadState(json.RawMessage) error
}

// engineState is the file `kharden audit serve` keeps beside its spool.
type engineState struct {
	Version   int                        `json:"version"`
	Saved     time.Time                  `json:"saved"`
	Mark      string                     `json:"mark,omitempty"`
	Detectors map[string]json.RawMessage `json:"detectors"`
}

const engineStateVersion = 1

// SaveState writes what the detectors learnt, so that a restarted engine
// does not start its warm-up again.
func (e *Engine) SaveState(w io.Writer, now time.Time) error {
	st := engineState{Version: engineStateVersion, Saved: now.UTC(), Mark: e.mark, Detectors: map[string]json.RawMessage{}}
	for i, d := range e.dets {
		p, ok := d.(persistent)
		if !ok {
			continue
		}
		v, err := p.saveState()
		if err != nil {
			return fmt.Errorf("%s: %w", e.keys[i], err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("%s: %w", e.keys[i], err)
		}
		st.Detectors[e.keys[i]] = b
	}
	return json.NewEncoder(w).Encode(st)
}

// LoadState takes back what SaveState wrote. Detectors missing from it
// start afresh; a detector whose state cannot be used (another window
// length) starts afresh and is named in the returned error, which does
// not prevent the others from loading.
func (e *Engine) LoadState(r io.Reader) error {
	var st engineState
	if err := json.NewDecoder(r).Decode(&st); err != nil {
		return fmt.Errorf("detector state: %w", err)
	}
	if st.Version != engineStateVersion {
		return fmt.Errorf("detector state version %d, want %d: starting afresh", st.Version, engineStateVersion)
	}
	e.mark = st.Mark
	var errs []error
	for i, d := range e.dets {
		p, ok := d.(persistent)
		raw, has := st.Detectors[e.keys[i]]
		if !ok || !has {
			continue
		}
		if err := p.loadState(raw); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w (starting afresh)", e.keys[i], err))
		}
	}
	return errors.Join(errs...)
}

// ratesState loads the window state of a rate detector.
func ratesState(r *window.Rates, raw json.RawMessage) error {
	var s window.State
	if err := json.Unmarshal(raw, &s); err != nil {
		return err
	}
	return r.Restore(s)
}

func (d *requestRate) saveState() (any, error)             { return d.rates.State(), nil }
func (d *requestRate) loadState(raw json.RawMessage) error { return ratesState(d.rates, raw) }
func (d *authFailures) saveState() (any, error)            { return d.rates.State(), nil }
func (d *authFailures) loadState(raw json.RawMessage) error {
	return ratesState(d.rates, raw)
}

// secretAccessState: when the log began, and who read Secrets in the
// warm-up.
type secretAccessState struct {
	First   time.Time `json:"first"`
	Readers []string  `json:"readers"`
}

func (d *secretAccess) saveState() (any, error) {
	s := secretAccessState{First: d.first, Readers: make([]string, 0, len(d.readers))}
	for u := range d.readers {
		s.Readers = append(s.Readers, u)
	}
	return s, nil
}

func (d *secretAccess) loadState(raw json.RawMessage) error {
	var s secretAccessState
	if err := json.Unmarshal(raw, &s); err != nil {
		return err
	}
	if !s.First.IsZero() && (d.first.IsZero() || s.First.Before(d.first)) {
		d.first = s.First
	}
	for _, u := range s.Readers {
		if len(d.readers) >= maxSecretReaders {
			break
		}
		d.readers[u] = true
	}
	return nil
}

func (d *clusterAdminDetector) saveState() (any, error) {
	roles := make([]string, 0, len(d.wildcard))
	for r := range d.wildcard {
		roles = append(roles, r)
	}
	return roles, nil
}

func (d *clusterAdminDetector) loadState(raw json.RawMessage) error {
	var roles []string
	if err := json.Unmarshal(raw, &roles); err != nil {
		return err
	}
	for _, r := range roles {
		if len(d.wildcard) >= maxWildcardRoles {
			break
		}
		d.wildcard[r] = true
	}
	return nil
}
