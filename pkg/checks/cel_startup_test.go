package checks

import (
	"testing"
	"time"

	"github.com/kharden/kharden/pkg/cel"
)

// TestCELStartup logs what the CEL engine costs a fresh process: building
// the environment and compiling every guardrail once. Run it alone with
// -count=1 -v to read a cold figure.
func TestCELStartup(t *testing.T) {
	start := time.Now()
	for _, c := range celChecks {
		if _, err := cel.Compile(c.Guardrail); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("environment + %d guardrails compiled in %v", len(celChecks), time.Since(start))
}
