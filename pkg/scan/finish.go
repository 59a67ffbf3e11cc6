package scan

import (
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
)

// Finish completes findings made outside the scan runner (by an analysis
// command: kubeconfig audit, access review, RBAC risks) the way Inventory
// completes its own: configured severity, fingerprint, and .kharden.yaml
// exceptions. It works in place and sorts.
func Finish(fs []finding.Finding, cfg *config.Config, now time.Time) {
	if cfg == nil {
		cfg = config.Default()
	}
	for i := range fs {
		f := &fs[i]
		f.Severity = cfg.SeverityFor(f.Rule, f.Severity)
		f.Fingerprint = f.ComputeFingerprint()
		if f.Suppressed == nil {
			f.Suppressed = suppression(*f, nil, cfg, now)
		}
	}
	checks.SortFindings(fs)
}
