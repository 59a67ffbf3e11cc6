package checks

import (
	"fmt"
	"math"
	"time"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// projectedTokenLongLived reports projected ServiceAccount token volume
// sources (volumes[].projected.sources[].serviceAccountToken) whose
// expirationSeconds is over the configured bound (maxTokenExpirationSeconds
// in .kharden.yaml, 86400 by default). Allowed: no expirationSeconds (the
// API server's default of one hour) or one at most the bound.
var projectedTokenLongLived = &Check{
	ID:       "projected-token-long-lived",
	Category: finding.CategoryIdentity,
	Severity: finding.SeverityLow,
	Summary:  "Projected ServiceAccount token volume asks for a token that lives longer than the configured bound",
	Doc: "Checks expirationSeconds of every serviceAccountToken source of the pod's projected volumes against " +
		"maxTokenExpirationSeconds of .kharden.yaml (86400, one day, by default). The kubelet refreshes a " +
		"projected token before it expires, so the application never needs a long lifetime; the lifetime only " +
		"decides how long a token copied out of the pod (a log, a core dump, a compromised sidecar) remains " +
		"usable. Unset expirationSeconds means one hour.",
	Remediation: "Lower expirationSeconds (3600 is the default and enough for every client that rereads the " +
		"token file, as client-go does), or drop it; raise maxTokenExpirationSeconds only for a client that " +
		"cannot reload its token.",
	References: []string{"NSA/CISA Kubernetes Hardening Guide: Authentication and authorization",
		"Kubernetes documentation: ServiceAccount token volume projection", "MITRE ATT&CK T1528"},
	Engine: EngineGo,
	Run:    runProjectedTokenLongLived,
}

func runProjectedTokenLongLived(p *Pass, o *inventory.Object) {
	t, ok := o.PodTemplateOf()
	if !ok {
		return
	}
	bound := p.Config.MaxTokenExpiration()
	vols, _ := t.Spec["volumes"].([]any)
	for i, v := range vols {
		vm, _ := v.(map[string]any)
		name, _ := vm["name"].(string)
		for j, src := range inventory.SliceAt(vm, "projected", "sources") {
			sm, _ := src.(map[string]any)
			exp, ok := wholeNumber(inventory.MapAt(sm, "serviceAccountToken")["expirationSeconds"])
			if !ok || exp <= bound {
				continue
			}
			p.Report(Location{
				Path: inventory.Join(t.SpecPath, "volumes", i, "projected", "sources", j, "serviceAccountToken", "expirationSeconds"),
				Message: fmt.Sprintf("projected ServiceAccount token of volume %q lives %s (expirationSeconds %d), over the bound of %s: "+
					"a token copied out of the pod stays valid that long", name, lifetime(exp), exp, lifetime(bound)),
			})
		}
	}
}

// wholeNumber reads an integer field as the YAML and JSON decoders give it.
func wholeNumber(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case uint64:
		if n > math.MaxInt64 {
			return math.MaxInt64, true
		}
		return int64(n), true
	case float64:
		if n != math.Trunc(n) || math.IsInf(n, 0) || math.IsNaN(n) {
			return 0, false
		}
		if n >= math.MaxInt64 {
			return math.MaxInt64, true
		}
		return int64(n), true
	}
	return 0, false
}

// lifetime renders seconds as a duration a reader takes in at once ("7d",
// "24h0m0s").
func lifetime(seconds int64) string {
	const day = 86400
	if seconds >= day && seconds%day == 0 {
		return fmt.Sprintf("%dd", seconds/day)
	}
	if seconds > math.MaxInt64/int64(time.Second) {
		return fmt.Sprintf("%ds", seconds)
	}
	return (time.Duration(seconds) * time.Second).String()
}
