package dns

import (
	"bytes"
	"sync"
	"testing"
)

var benchLog = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	// About a million lines: 400 pods for 30 minutes and the default mix.
	if _, err := Generate(&buf, GenerateOptions{Seed: 1, Clients: 400, PerMinute: 45}); err != nil {
		panic(err)
	}
	return buf.Bytes()
})

// BenchmarkAnalyze decodes and runs every detector over a generated log of
// about a million lines; lines/s is the figure to hold to 500,000.
func BenchmarkAnalyze(b *testing.B) {
	log := benchLog()
	lines := bytes.Count(log, []byte{'\n'})
	b.SetBytes(int64(len(log)))
	b.ResetTimer()
	for b.Loop() {
		e, _ := New(Options{})
		d := NewDecoder(bytes.NewReader(log), "bench.log")
		var rec Record
		for d.Next(&rec) {
			e.Observe(&rec)
		}
		e.Close()
		_ = e.Findings()
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
