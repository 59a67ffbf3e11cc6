package bench

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/kharden/kharden/bench/auditgen"
	"github.com/kharden/kharden/pkg/detect/auditlog"
)

// BenchmarkAuditAnalyze decodes 50,000 generated audit events and runs
// every detector over them, reporting events per second (goal: at least
// 150,000 on 2 cores; bench/audit measures the 1 GB log and peak memory).
func BenchmarkAuditAnalyze(b *testing.B) {
	var log bytes.Buffer
	if _, err := auditgen.Write(&log, 50000, 1); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(log.Len()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		eng, err := auditlog.New(auditlog.Options{})
		if err != nil {
			b.Fatal(err)
		}
		d := auditlog.NewDecoder(bytes.NewReader(log.Bytes()), "bench.log")
		var ev auditlog.Event
		n := 0
		for {
			err := d.Next(&ev)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			eng.Observe(&ev)
			n++
		}
		eng.Close()
		if n != 50000 {
			b.Fatalf("%d events decoded", n)
		}
	}
	b.ReportMetric(50000*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
