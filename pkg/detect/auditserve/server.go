// Package auditserve is the API server's audit webhook backend: an HTTPS
// endpoint that accepts the audit.k8s.io/v1 EventList batches the
// webhook backend posts, writes each to a durable on-disk spool before
// acknowledging it, and feeds the spooled batches, in arrival order, to
// one auditlog.Engine. Alerts go to a writer as JSON lines and optionally
// to a webhook; /healthz, /readyz and /metrics (Prometheus) tell how it
// goes.
//
// Delivery is at least once: a batch is acknowledged (200) only once its
// file and name are synced; a file is removed (or archived) only after its
// events were analysed; files left by a crash are analysed first on the
// next start. A full spool answers 429 with Retry-After, and the API
// server's webhook backend retries (client-go honours Retry-After, then the
// backend retries any error with exponential backoff from
// --audit-webhook-initial-backoff, 5 steps, factor 1.5, before it drops
// the batch).
package auditserve

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fastjson"

	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/detect/auditlog"
	"github.com/kharden/kharden/pkg/finding"
)

// Defaults of Options.
const (
	DefaultMaxBodyBytes  = 32 << 20
	DefaultSpoolMaxBytes = 1 << 30
	DefaultRetryAfter    = 5 * time.Second
	// The webhook backend's client times out after 30s; a batch should be
	// answered well within that.
	readTimeout = 20 * time.Second
)

// Options configure a Server.
type Options struct {
	// Listener accepts the webhook's connections (TLS is added here); when
	// nil, Address is listened on.
	Listener net.Listener
	// Address is host:port of the HTTPS endpoint.
	Address string
	// TLSCertFile and TLSKeyFile are the serving certificate and key (PEM).
	TLSCertFile, TLSKeyFile string
	// ClientCAFile, when set, requires batches to come with a client
	// certificate signed by one of these CAs (the webhook kubeconfig's
	// client-certificate). Health and metrics stay open.
	ClientCAFile string
	// MetricsListener or MetricsAddress, when set, serve /metrics, /healthz
	// and /readyz over plain HTTP there; otherwise they are served next to
	// the batches.
	MetricsListener net.Listener
	MetricsAddress  string
	// SpoolDir holds accepted batches until they are analysed.
	SpoolDir string
	// SpoolMaxBytes bounds the spool; a batch beyond it is answered 429.
	SpoolMaxBytes int64
	// ArchiveDir, when set, receives analysed batches instead of their
	// removal.
	ArchiveDir string
	// QuarantineDir receives spooled batches without one usable event
	// (default: beside the spool, SpoolDir+".quarantine").
	QuarantineDir string
	// StateFile keeps what the detectors learnt (baselines, warm-up
	// readers) across restarts (default: beside the spool,
	// SpoolDir+".state.json"); written every minute and at shutdown.
	StateFile string
	// MaxBodyBytes bounds one batch; larger ones are answered 413.
	MaxBodyBytes int64
	// RetryAfter is the delay a 429 suggests.
	RetryAfter time.Duration
	// Config is .kharden.yaml; Rules limits the detectors.
	Config *config.Config
	Rules  []finding.RuleID
	// Team names the team owning a namespace, for the findings metric;
	// nil leaves the team label empty.
	Team func(namespace string) string
	// Alerts receives each alert as one JSON line (the finding).
	Alerts io.Writer
	// AlertWebhook, when set, receives each alert as a JSON POST.
	AlertWebhook string
	// Log receives operational messages (never event contents).
	Log io.Writer
}

// Server is a running webhook backend; see the package documentation.
type Server struct {
	opts    Options
	spool   *Spool
	metrics *metrics
	engine  *auditlog.Engine
	// engineMu serialises the consumer and the clock that closes windows
	// while no batch arrives.
	engineMu sync.Mutex
	// stateSaved is when the detectors' state was last written (tick
	// goroutine and shutdown only).
	stateSaved time.Time
	alerter    *alerter
	tls        *tls.Config
	clientCAs  bool

	parsers fastjson.ParserPool
	logMu   sync.Mutex

	consumerUp atomic.Bool
	// paused holds the consumer while set (tests of the 429 path).
	pauseMu sync.Mutex
	paused  chan struct{}
	// analysed is called with each batch's name after its events were fed
	// (tests).
	analysed func(name string)
	// analysedBeforeRestart is the batch the loaded state says was
	// analysed whole (its removal may not have happened); consumer only.
	analysedBeforeRestart string
}

// New checks the options, opens the spool and builds the engine.
func New(opts Options) (*Server, error) {
	if opts.SpoolDir == "" {
		return nil, errors.New("no spool directory")
	}
	if opts.TLSCertFile == "" || opts.TLSKeyFile == "" {
		return nil, errors.New("a serving certificate and key are required (the webhook backend speaks HTTPS)")
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.SpoolMaxBytes <= 0 {
		opts.SpoolMaxBytes = DefaultSpoolMaxBytes
	}
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = DefaultRetryAfter
	}
	if opts.QuarantineDir == "" {
		opts.QuarantineDir = filepath.Clean(opts.SpoolDir) + ".quarantine"
	}
	if opts.StateFile == "" {
		opts.StateFile = filepath.Clean(opts.SpoolDir) + ".state.json"
	}
	if opts.Alerts == nil {
		opts.Alerts = io.Discard
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	cert, err := tls.LoadX509KeyPair(opts.TLSCertFile, opts.TLSKeyFile)
	if err != nil {
		// The error names the files and PEM problems, never key bytes.
		return nil, fmt.Errorf("serving certificate %s, key %s: %w", opts.TLSCertFile, opts.TLSKeyFile, err)
	}
	s := &Server{opts: opts, tls: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	if opts.ClientCAFile != "" {
		pem, err := os.ReadFile(opts.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("client CA %s: no PEM certificate in it", opts.ClientCAFile)
		}
		s.tls.ClientCAs = pool
		s.tls.ClientAuth = tls.VerifyClientCertIfGiven
		s.clientCAs = true
	}
	if s.spool, err = OpenSpool(opts.SpoolDir, opts.SpoolMaxBytes); err != nil {
		return nil, err
	}
	s.metrics = newMetrics(s.spool)
	if opts.AlertWebhook != "" {
		if s.alerter, err = newAlerter(opts.AlertWebhook, nil, s.alertFailed); err != nil {
			return nil, err
		}
	}
	s.engine, err = auditlog.New(auditlog.Options{Config: opts.Config, Rules: opts.Rules, OnAlert: s.onAlert})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Spool is the server's spool.
func (s *Server) Spool() *Spool { return s.spool }

func (s *Server) logf(format string, args ...any) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.opts.Log, "audit serve: "+format+"\n", args...)
}

// Run serves until ctx is done, then stops accepting batches, lets the
// consumer finish the batch it is analysing, and returns. Batches left in
// the spool are analysed on the next start.
func (s *Server) Run(ctx context.Context) error {
	ln := s.opts.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", s.opts.Address); err != nil {
			return err
		}
	}
	mln := s.opts.MetricsListener
	if mln == nil && s.opts.MetricsAddress != "" {
		var err error
		if mln, err = net.Listen("tcp", s.opts.MetricsAddress); err != nil {
			_ = ln.Close()
			return err
		}
	}

	ops := http.NewServeMux()
	ops.HandleFunc("/healthz", s.healthz)
	ops.HandleFunc("/readyz", s.readyz)
	ops.Handle("/metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{Registry: s.metrics.reg}))
	main := http.NewServeMux()
	main.HandleFunc("/", s.ingest)
	if mln == nil {
		main.Handle("/healthz", ops)
		main.Handle("/readyz", ops)
		main.Handle("/metrics", ops)
	}
	errLog := newErrorLog(s)
	srv := &http.Server{Handler: main, TLSConfig: s.tls, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: readTimeout, IdleTimeout: 90 * time.Second, ErrorLog: errLog}
	var msrv *http.Server
	if mln != nil {
		msrv = &http.Server{Handler: ops, ReadHeaderTimeout: 10 * time.Second, ErrorLog: errLog}
	}

	s.loadState()
	stop := make(chan struct{})
	consumerDone := make(chan struct{})
	go func() {
		defer close(consumerDone)
		s.consume(stop)
	}()
	tickDone := make(chan struct{})
	go func() {
		defer close(tickDone)
		s.tick(stop)
	}()
	if s.alerter != nil {
		go s.alerter.run()
	}
	serveErr := make(chan error, 2)
	go func() { serveErr <- srv.Serve(tls.NewListener(ln, s.tls)) }()
	if msrv != nil {
		go func() { serveErr <- msrv.Serve(mln) }()
	}
	s.logf("listening on %s (spool %s)", ln.Addr(), s.spool.Dir())

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), readTimeout+5*time.Second)
	defer cancel()
	// Stop accepting first, so that every acknowledged batch is spooled.
	_ = srv.Shutdown(shutdownCtx)
	close(stop)
	<-consumerDone
	<-tickDone
	s.saveState(time.Now())
	if msrv != nil {
		_ = msrv.Shutdown(shutdownCtx)
	}
	if s.alerter != nil {
		s.alerter.close(alertTimeout * alertAttempts)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "ok\n")
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	if err := s.spool.Writable(); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "spool not writable\n")
		return
	}
	if !s.consumerUp.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "consumer not running\n")
		return
	}
	_, _ = io.WriteString(w, "ok\n")
}

// ingest accepts one batch: POST on any path other than the health and
// metrics ones.
func (s *Server) ingest(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST audit.k8s.io/v1 EventList batches here", http.StatusMethodNotAllowed)
		return
	}
	if s.clientCAs && (r.TLS == nil || len(r.TLS.PeerCertificates) == 0) {
		s.metrics.batches.WithLabelValues(resultForbidden).Inc()
		http.Error(w, "a client certificate is required", http.StatusForbidden)
		return
	}
	if r.ContentLength > s.opts.MaxBodyBytes {
		s.tooLarge(w)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.tooLarge(w)
			return
		}
		s.metrics.batches.WithLabelValues(resultInvalid).Inc()
		http.Error(w, "reading the body failed", http.StatusBadRequest)
		return
	}
	n, ok := s.countEvents(body)
	if !ok {
		s.metrics.batches.WithLabelValues(resultInvalid).Inc()
		s.metrics.decodeProblems.WithLabelValues("malformed").Inc()
		http.Error(w, "the body is not a JSON audit EventList", http.StatusBadRequest)
		return
	}
	switch err := s.spool.Put(body); {
	case errors.Is(err, ErrSpoolFull):
		s.metrics.batches.WithLabelValues(resultSpoolFull).Inc()
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(s.opts.RetryAfter/time.Second))))
		http.Error(w, "spool full, retry later", http.StatusTooManyRequests)
		return
	case err != nil:
		s.metrics.batches.WithLabelValues(resultError).Inc()
		s.logf("spooling a batch: %v", err)
		http.Error(w, "could not store the batch", http.StatusInternalServerError)
		return
	}
	s.metrics.batches.WithLabelValues(resultAccepted).Inc()
	s.metrics.eventsReceived.Add(float64(n))
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, "{}\n")
}

func (s *Server) tooLarge(w http.ResponseWriter) {
	s.metrics.batches.WithLabelValues(resultTooLarge).Inc()
	http.Error(w, fmt.Sprintf("batch larger than %d bytes", s.opts.MaxBodyBytes), http.StatusRequestEntityTooLarge)
}

// countEvents checks that body is one JSON value and counts its events:
// the items of an EventList, or 1 for a single object.
func (s *Server) countEvents(body []byte) (int, bool) {
	p := s.parsers.Get()
	defer s.parsers.Put(p)
	v, err := p.ParseBytes(body)
	if err != nil || v.Type() != fastjson.TypeObject {
		return 0, false
	}
	if items := v.Get("items"); items != nil {
		arr, err := items.Array()
		if err != nil {
			return 0, false
		}
		return len(arr), true
	}
	return 1, true
}

// tick closes rate windows by the wall clock when the stream is quiet: a
// spike is reported once its window is over, not when the next batch
// happens to arrive.
func (s *Server) tick(stop <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			s.engineMu.Lock()
			s.engine.AdvanceTo(now)
			s.engineMu.Unlock()
			if now.Sub(s.stateSaved) >= stateEvery {
				s.saveState(now)
			}
		}
	}
}

// stateEvery is how often the detectors' state is written.
const stateEvery = time.Minute

// loadState takes back what the detectors learnt before a restart; a
// missing file is a first start, an unusable one is logged and ignored.
func (s *Server) loadState() {
	f, err := os.Open(s.opts.StateFile)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		s.logf("detector state %s: %v (starting afresh)", s.opts.StateFile, err)
		return
	}
	defer f.Close()
	s.engineMu.Lock()
	defer s.engineMu.Unlock()
	if err := s.engine.LoadState(f); err != nil {
		s.logf("detector state %s: %v", s.opts.StateFile, err)
		return
	}
	s.analysedBeforeRestart = s.engine.Mark()
	s.logf("detector state loaded from %s: baselines and open windows carried over", s.opts.StateFile)
}

// saveState writes the detectors' state atomically (temporary file,
// fsync, rename).
func (s *Server) saveState(now time.Time) {
	s.stateSaved = now
	tmp := s.opts.StateFile + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		s.logf("writing detector state: %v", err)
		return
	}
	s.engineMu.Lock()
	err = s.engine.SaveState(f, now)
	s.engineMu.Unlock()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, s.opts.StateFile)
	}
	if err != nil {
		_ = os.Remove(tmp)
		s.logf("writing detector state: %v", err)
	}
}
