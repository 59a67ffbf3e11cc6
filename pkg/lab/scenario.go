package lab

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kharden/kharden/examples/scenarios"
	"github.com/kharden/kharden/pkg/finding"
)

// ScenarioName names a scenario (the directory of its manifests under
// examples/scenarios or examples/incidents).
type ScenarioName string

// The scenarios, one per incident of the product brief, in its order.
const (
	BotsHammeringAPI ScenarioName = "bots-hammering-api"
	PlaintextSecrets ScenarioName = "plaintext-secrets"
	LateralMovement  ScenarioName = "lateral-movement"
	TokenLeak        ScenarioName = "token-leak"
	UnpinnedHotfix   ScenarioName = "unpinned-hotfix"
	DNSMiner         ScenarioName = "dns-miner"
)

// Scenario is one incident loaded into the lab: objects, and the log files
// an incident that lives in logs needs.
type Scenario struct {
	Name     ScenarioName
	Incident int // number in the product brief's "Real incidents"
	Title    string
	// Evidence says where the incident shows: objects, log files, etcd.
	Evidence string
	// Findings are the workload rules a cluster scan must report for the
	// scenario's objects (the end-to-end test holds them).
	Findings []finding.RuleID
	// steps load the scenario after its manifests are applied; the
	// plaintext-secrets scenario replaces the plain apply.
	custom func(ctx context.Context, r *scenarioRun) error
	after  func(ctx context.Context, r *scenarioRun) error
}

// Scenarios returns every scenario in incident order.
func Scenarios() []Scenario {
	return []Scenario{
		{Name: BotsHammeringAPI, Incident: 1, Title: "Exposed API hammered by bots",
			Evidence: "audit log with a request-rate and 401/403 spike from three source IPs; a ClusterRoleBinding that lets anonymous callers read",
			after:    writeBotsAuditLog},
		{Name: PlaintextSecrets, Incident: 2, Title: "Encryption enabled but old secrets still plaintext in etcd",
			Evidence: "billing Secrets written before the API server was restarted with an EncryptionConfiguration stay plaintext in etcd; the newer one is aescbc-encrypted",
			custom:   plaintextSecrets},
		{Name: LateralMovement, Incident: 3, Title: "Lateral movement from an open debug namespace",
			Evidence: "a privileged hostNetwork toolbox whose ServiceAccount may create pods, in a namespace without PSA labels or NetworkPolicies, beside an unisolated database",
			Findings: []finding.RuleID{"privileged-container", "host-network"}},
		{Name: TokenLeak, Incident: 4, Title: "Token leaked through logs",
			Evidence: "a sidecar that dumps its environment at start-up, on the default ServiceAccount with an automounted token that may read Secrets",
			Findings: []finding.RuleID{"env-dump-at-startup"}},
		{Name: UnpinnedHotfix, Incident: 5, Title: "Unscanned, unsigned image deployed as a hotfix",
			Evidence: "a Deployment on a :latest image from a personal registry, and an untagged one",
			Findings: []finding.RuleID{"image-latest-tag"}},
		{Name: DNSMiner, Incident: 6, Title: "Crypto-miner in a dev namespace using DNS as command channel",
			Evidence: "a miner Deployment and its Pod in dev; a CoreDNS log with high-rate random-looking queries from that pod's IP",
			Findings: []finding.RuleID{"image-latest-tag"},
			after:    dnsMinerAfter},
	}
}

// LookupScenario returns the scenario of that name.
func LookupScenario(name string) (Scenario, bool) {
	for _, s := range Scenarios() {
		if string(s.Name) == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// ScenarioNames lists the names, for help and errors.
func ScenarioNames() []string {
	var out []string
	for _, s := range Scenarios() {
		out = append(out, string(s.Name))
	}
	return out
}

// ScenarioResult tells what a scenario loaded.
type ScenarioResult struct {
	Name ScenarioName
	// Objects are "Kind namespace/name" of the applied objects.
	Objects []string
	// Files are the log files written, absolute paths.
	Files []string
	// Notes say what else happened (an API server restart).
	Notes []string
}

type scenarioRun struct {
	lab      *Lab
	scenario Scenario
	applier  *applier
	result   *ScenarioResult
	progress io.Writer
}

// ApplyScenario loads one scenario into the running lab. Applying it again
// changes nothing (server-side apply; log files are rewritten identically).
func (l *Lab) ApplyScenario(ctx context.Context, name string, progress io.Writer) (*ScenarioResult, error) {
	sc, ok := LookupScenario(name)
	if !ok {
		return nil, fmt.Errorf("unknown scenario %q (one of: %s, or all)", name, strings.Join(ScenarioNames(), ", "))
	}
	if progress == nil {
		progress = io.Discard
	}
	if ctx == nil {
		ctx = context.Background()
	}
	st, err := l.Status(ctx)
	if err != nil {
		return nil, err
	}
	if !st.Up {
		return nil, errNotUp
	}
	r := &scenarioRun{lab: l, scenario: sc, result: &ScenarioResult{Name: sc.Name}, progress: progress}
	if err := r.connect(); err != nil {
		return nil, err
	}
	if sc.custom != nil {
		err = sc.custom(ctx, r)
	} else {
		err = r.applyFiles(ctx, func(string) bool { return true })
	}
	if err != nil {
		return r.result, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	if sc.after != nil {
		if err := sc.after(ctx, r); err != nil {
			return r.result, fmt.Errorf("scenario %s: %w", sc.Name, err)
		}
	}
	return r.result, nil
}

// connect (re)builds the client: after an API server restart the old
// connections are gone.
func (r *scenarioRun) connect() error {
	cfg, err := r.lab.RestConfig()
	if err != nil {
		return err
	}
	r.applier, err = newApplier(cfg)
	return err
}

// applyFiles applies the scenario's manifest files whose path keep accepts.
func (r *scenarioRun) applyFiles(ctx context.Context, keep func(path string) bool) error {
	var objs []*unstructured.Unstructured
	for _, f := range scenarios.Files(string(r.scenario.Name)) {
		if !keep(f.Path) {
			continue
		}
		got, err := decodeManifests(f.Path, f.Data)
		if err != nil {
			return err
		}
		objs = append(objs, got...)
	}
	applied, err := r.applier.apply(ctx, objs)
	for _, o := range applied {
		r.result.Objects = append(r.result.Objects, o.GetKind()+" "+objectName(o))
	}
	return err
}

// writeFile writes one of the scenario's log files into the lab directory.
func (r *scenarioRun) writeFile(name string, write func(w io.Writer) error) error {
	dir := r.lab.ScenarioDir(string(r.scenario.Name))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	r.result.Files = append(r.result.Files, path)
	return nil
}
