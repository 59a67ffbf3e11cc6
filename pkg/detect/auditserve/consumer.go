package auditserve

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/kharden/kharden/pkg/detect/auditlog"
	"github.com/kharden/kharden/pkg/finding"
)

// consume feeds spooled batches to the engine, oldest first, until stop
// is closed; the batch being analysed is finished first.
func (s *Server) consume(stop <-chan struct{}) {
	s.consumerUp.Store(true)
	defer s.consumerUp.Store(false)
	for {
		if !s.waitUnpaused(stop) {
			return
		}
		name, ok := s.spool.Next(stop)
		if !ok {
			return
		}
		s.analyse(name)
	}
}

// analyse feeds one batch to the engine and then removes or archives it;
// a batch without one usable event goes to quarantine. A crash between
// the two analyses the batch again on the next start (at least once).
func (s *Server) analyse(name string) {
	if name == s.analysedBeforeRestart {
		// The state loaded at start holds this batch's counts: it was
		// analysed whole before a crash kept it from being removed.
		s.analysedBeforeRestart = ""
		s.logf("spooled batch %s was analysed before the restart (the detector state holds it): not analysed again", name)
		if s.analysed != nil {
			s.analysed(name)
		}
		if err := s.spool.Done(name, s.opts.ArchiveDir); err != nil {
			s.metrics.consumerErrors.Inc()
			s.logf("removing analysed batch %s: %v", name, err)
		}
		return
	}
	path := s.spool.Path(name)
	body, err := os.ReadFile(path)
	if err != nil {
		s.metrics.consumerErrors.Inc()
		s.metrics.decodeProblems.WithLabelValues("unreadable").Inc()
		s.logf("reading spooled batch %s: %v", name, err)
		if errors.Is(err, os.ErrNotExist) {
			_ = s.spool.Done(name, "")
			return
		}
		s.quarantine(name)
		return
	}
	// Evidence names the batch where it will be found: the archive, or
	// the spool file's name.
	source := name
	if s.opts.ArchiveDir != "" {
		source = filepath.Join(s.opts.ArchiveDir, name)
	}
	dec := auditlog.NewDecoder(bytes.NewReader(body), source)
	var ev auditlog.Event
	var n int64
	var derr error
	s.engineMu.Lock()
	for {
		if derr = dec.Next(&ev); derr != nil {
			break
		}
		s.engine.Observe(&ev)
		n++
	}
	if n > 0 {
		// Saved with the state: a restart after a crash before the
		// batch is removed does not count it twice.
		s.engine.SetMark(name)
	}
	s.engineMu.Unlock()
	st := dec.Stats()
	s.countProblems(st)
	s.metrics.eventsAnalysed.Add(float64(n))
	if n == 0 && (st.Skipped() > 0 || st.Corrupt > 0 || !errors.Is(derr, io.EOF)) {
		s.logf("spooled batch %s has no usable event (%d unusable records): quarantined", name, st.Skipped())
		s.quarantine(name)
		return
	}
	if s.analysed != nil {
		s.analysed(name)
	}
	if err := s.spool.Done(name, s.opts.ArchiveDir); err != nil {
		s.metrics.consumerErrors.Inc()
		s.logf("removing analysed batch %s: %v", name, err)
	}
}

func (s *Server) quarantine(name string) {
	s.metrics.quarantined.Inc()
	if err := s.spool.Done(name, s.opts.QuarantineDir); err != nil {
		// Never block the queue: the batch is left behind, and a restart
		// analyses it again.
		s.metrics.consumerErrors.Inc()
		s.logf("quarantining batch %s: %v", name, err)
	}
}

func (s *Server) countProblems(st *auditlog.Stats) {
	for reason, n := range map[string]int64{
		"malformed": st.Malformed, "unknown_version": st.UnknownVersion, "not_event": st.NotEvent,
		"oversized": st.Oversized, "no_timestamp": st.NoTimestamp, "corrupt": st.Corrupt,
	} {
		if n > 0 {
			s.metrics.decodeProblems.WithLabelValues(reason).Add(float64(n))
		}
	}
}

// onAlert runs on the consumer goroutine (the engine's): one JSON line
// out, the metric, and the webhook queue.
func (s *Server) onAlert(f finding.Finding) {
	team := ""
	if s.opts.Team != nil {
		team = s.opts.Team(f.Object.Namespace)
	}
	s.metrics.findings.WithLabelValues(string(f.Rule), f.Object.Namespace, team).Inc()
	line, err := json.Marshal(f)
	if err != nil {
		s.logf("encoding an alert: %v", err)
		return
	}
	line = append(line, '\n')
	if _, err := s.opts.Alerts.Write(line); err != nil {
		s.logf("writing an alert: %v", err)
	}
	if s.alerter != nil {
		s.alerter.send(f)
	}
}

func (s *Server) alertFailed(reason string) {
	s.metrics.alertFailures.Inc()
	s.logf("alert webhook: %s", reason)
}

// pause holds the consumer before its next batch; resume lets it go.
func (s *Server) pause() {
	s.pauseMu.Lock()
	defer s.pauseMu.Unlock()
	if s.paused == nil {
		s.paused = make(chan struct{})
	}
}

func (s *Server) resume() {
	s.pauseMu.Lock()
	defer s.pauseMu.Unlock()
	if s.paused != nil {
		close(s.paused)
		s.paused = nil
	}
}

func (s *Server) waitUnpaused(stop <-chan struct{}) bool {
	s.pauseMu.Lock()
	p := s.paused
	s.pauseMu.Unlock()
	if p == nil {
		return true
	}
	select {
	case <-p:
		return true
	case <-stop:
		return false
	}
}

// newErrorLog sends net/http's own messages (TLS handshake failures) to
// the server's log.
func newErrorLog(s *Server) *log.Logger {
	return log.New(logWriter{s}, "", 0)
}

type logWriter struct{ s *Server }

func (w logWriter) Write(p []byte) (int, error) {
	w.s.logf("%s", bytes.TrimRight(p, "\n"))
	return len(p), nil
}
