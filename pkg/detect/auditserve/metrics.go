package auditserve

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus metrics, on a registry of its own.
type metrics struct {
	reg            *prometheus.Registry
	eventsReceived prometheus.Counter
	eventsAnalysed prometheus.Counter
	batches        *prometheus.CounterVec
	spoolBytes     prometheus.GaugeFunc
	spoolFiles     prometheus.GaugeFunc
	decodeProblems *prometheus.CounterVec
	quarantined    prometheus.Counter
	findings       *prometheus.CounterVec
	alertFailures  prometheus.Counter
	consumerErrors prometheus.Counter
}

// Batch results, the values of the result label of
// kharden_audit_batches_total.
const (
	resultAccepted  = "accepted"
	resultSpoolFull = "spool_full" // answered 429
	resultTooLarge  = "too_large"  // answered 413
	resultInvalid   = "invalid"    // answered 400
	resultError     = "error"      // answered 500 (spool write failed)
	resultForbidden = "forbidden"  // no client certificate
)

func newMetrics(spool *Spool) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.eventsReceived = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kharden_audit_events_received_total", Help: "Audit events in accepted (spooled and acknowledged) batches."})
	m.eventsAnalysed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kharden_audit_events_analysed_total", Help: "Audit events fed to the detectors."})
	m.batches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kharden_audit_batches_total", Help: "Batches posted, by result: accepted, spool_full (429), too_large (413), invalid (400), error (500), forbidden (403)."},
		[]string{"result"})
	m.spoolBytes = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "kharden_audit_spool_bytes", Help: "Bytes of batches in the spool, not yet analysed."},
		func() float64 { b, _ := spool.Usage(); return float64(b) })
	m.spoolFiles = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "kharden_audit_spool_files", Help: "Batches in the spool, not yet analysed."},
		func() float64 { _, n := spool.Usage(); return float64(n) })
	m.decodeProblems = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kharden_audit_decode_problems_total", Help: "Records that could not be used, by reason: malformed, unknown_version, not_event, oversized, no_timestamp, corrupt, unreadable."},
		[]string{"reason"})
	m.quarantined = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kharden_audit_quarantined_batches_total", Help: "Spooled batches without one usable event, moved to the quarantine directory."})
	m.findings = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kharden_audit_findings_total", Help: "Alerts raised, by rule, namespace of the object and owning team."},
		[]string{"rule", "namespace", "team"})
	m.alertFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kharden_audit_alert_webhook_failures_total", Help: "Alerts that could not be delivered to the alert webhook (after retries, or dropped because the queue was full)."})
	m.consumerErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kharden_audit_spool_errors_total", Help: "Errors reading, removing or archiving spooled batches."})
	m.reg.MustRegister(m.eventsReceived, m.eventsAnalysed, m.batches, m.spoolBytes, m.spoolFiles,
		m.decodeProblems, m.quarantined, m.findings, m.alertFailures, m.consumerErrors,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}
