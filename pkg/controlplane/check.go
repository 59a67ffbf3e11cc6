package controlplane

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/report"
	"github.com/kharden/kharden/pkg/scan"
)

// Default locations under the root, as kubeadm lays a node out.
const (
	DefaultManifestsDir  = "etc/kubernetes/manifests"
	DefaultKubeletConfig = "var/lib/kubelet/config.yaml"
)

// Options say what `kharden controlplane check` reads. Paths given
// explicitly must exist; the defaults under Root are read when present.
type Options struct {
	// Root is where the node's filesystem is (default /): absolute paths in
	// flags are resolved against it.
	Root string
	// Manifests is the static-pod directory (default Root/etc/kubernetes/manifests).
	Manifests string
	// KubeletConfig is a KubeletConfiguration file (default
	// Root/var/lib/kubelet/config.yaml).
	KubeletConfig string
	// KubeletFlags is a file holding the kubelet's command-line flags (see
	// KubeletArgs for the accepted forms); none by default.
	KubeletFlags string
	// Cloud is a managed-cluster description (CheckCloud).
	Cloud string
	// Live, when set, is a cluster to probe anonymously.
	Live *rest.Config
	// Timeout bounds the live probes.
	Timeout time.Duration
}

// Result is what the check found, before configuration is applied.
type Result struct {
	Inputs   []string
	Objects  int
	Findings []finding.Finding
	// Errors are inputs that could not be read (*InputError, *CloudError);
	// *InputError with Warning set were worked around.
	Errors []error
	// Probes are the live probes' answers, when a cluster was probed.
	Probes []ProbeResult
}

// Check reads the inputs of opts and reports the control-plane rules.
func Check(ctx context.Context, opts Options) *Result {
	res := &Result{}
	root := opts.Root
	if root == "" {
		root = "/"
	}
	e := &emitter{}
	manifests, explicit := opts.Manifests, opts.Manifests != ""
	if !explicit {
		manifests = filepath.Join(root, DefaultManifestsDir)
	}
	if explicit || dirExists(manifests) {
		res.Inputs = append(res.Inputs, manifests)
		pods, errs := ReadManifests(manifests)
		res.Errors = append(res.Errors, errs...)
		for i := range pods {
			res.Objects++
			res.Errors = append(res.Errors, checkPod(root, &pods[i], e)...)
		}
	}
	res.Errors = append(res.Errors, checkKubeletInputs(root, opts, res, e)...)
	if opts.Cloud != "" {
		res.Inputs = append(res.Inputs, opts.Cloud)
		data, err := readRegularFile(opts.Cloud, MaxCloudBytes)
		if err != nil {
			res.Errors = append(res.Errors, &InputError{File: opts.Cloud, Msg: err.Error()})
		} else {
			fs, err := CheckCloud(opts.Cloud, data)
			res.Objects++
			e.out = append(e.out, fs...)
			if err != nil {
				res.Errors = append(res.Errors, err)
			}
		}
	}
	if opts.Live != nil {
		res.Inputs = append(res.Inputs, opts.Live.Host)
		fs, probes, err := ProbeLive(ctx, opts.Live, opts.Timeout)
		e.out = append(e.out, fs...)
		res.Probes = probes
		res.Objects++
		if err != nil {
			res.Errors = append(res.Errors, err)
		}
	}
	if len(res.Inputs) == 0 {
		res.Errors = append(res.Errors, fmt.Errorf("nothing to check: no %s, no %s under root %s, and no --cloud or kubeconfig",
			DefaultManifestsDir, DefaultKubeletConfig, root))
	}
	res.Findings = e.out
	return res
}

// checkPod reads what one static pod's flags name and runs its rules.
func checkPod(root string, p *StaticPod, e *emitter) []error {
	var errs []error
	for _, w := range p.Warnings {
		errs = append(errs, &InputError{File: p.File, Msg: string(p.Component) + ": " + w, Warning: true})
	}
	switch p.Component {
	case ComponentAPIServer:
		a, lerrs := loadAPIServer(root, p)
		errs = append(errs, lerrs...)
		for _, c := range apiserverChecks {
			c(a, e)
		}
	case ComponentEtcd:
		for _, c := range etcdChecks {
			c(p, e)
		}
	}
	return errs
}

// checkKubeletInputs reads the kubelet's configuration and flags.
func checkKubeletInputs(root string, opts Options, res *Result, e *emitter) []error {
	cfgPath, explicit := opts.KubeletConfig, opts.KubeletConfig != ""
	if !explicit {
		cfgPath = filepath.Join(root, DefaultKubeletConfig)
	}
	var (
		cfgData, flagData []byte
		errs              []error
	)
	if explicit || fileExists(cfgPath) {
		res.Inputs = append(res.Inputs, cfgPath)
		d, err := readRegularFile(cfgPath, maxConfigBytes)
		if err != nil {
			return []error{&InputError{File: cfgPath, Msg: err.Error()}}
		}
		cfgData = d
		if cfgData == nil {
			cfgData = []byte{}
		}
	}
	if opts.KubeletFlags != "" {
		res.Inputs = append(res.Inputs, opts.KubeletFlags)
		d, err := readRegularFile(opts.KubeletFlags, maxConfigBytes)
		if err != nil {
			errs = append(errs, &InputError{File: opts.KubeletFlags, Msg: err.Error()})
		} else {
			flagData = d
			if flagData == nil {
				flagData = []byte{}
			}
		}
	}
	if cfgData == nil && flagData == nil {
		return errs
	}
	k, kerrs := ReadKubelet(cfgPath, cfgData, opts.KubeletFlags, flagData)
	errs = append(errs, kerrs...)
	if k == nil {
		return errs
	}
	res.Objects++
	for _, c := range kubeletChecks {
		c(k, e)
	}
	return errs
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Review is the outcome of `kharden controlplane check` under a
// configuration: rules it turns off dropped, severities and exceptions
// applied.
type Review struct {
	*Result
	// Rules are the enabled rules, with configured severities.
	Rules []*checks.Check
}

// CheckWithConfig runs Check and applies cfg (nil means the defaults).
func CheckWithConfig(ctx context.Context, opts Options, cfg *config.Config, now time.Time) *Review {
	if cfg == nil {
		cfg = config.Default()
	}
	res := Check(ctx, opts)
	r := &Review{Result: res}
	enabled := map[finding.RuleID]bool{}
	for _, c := range Rules() {
		if cfg.RuleEnabled(c.ID, !c.Disabled) {
			enabled[c.ID] = true
			cc := *c
			cc.Severity = cfg.SeverityFor(c.ID, c.Severity)
			r.Rules = append(r.Rules, &cc)
		}
	}
	kept := res.Findings[:0]
	for _, f := range res.Findings {
		if enabled[f.Rule] {
			kept = append(kept, f)
		}
	}
	res.Findings = kept
	scan.Finish(res.Findings, cfg, now)
	return r
}

// InputErrors are the errors that are not warnings.
func (r *Review) InputErrors() []error {
	var out []error
	for _, err := range r.Errors {
		var ie *InputError
		if errors.As(err, &ie) && ie.Warning {
			continue
		}
		out = append(out, err)
	}
	return out
}

// Exceeds reports whether an unsuppressed finding is at or above sev.
func (r *Review) Exceeds(sev finding.Severity) bool { return finding.Exceeds(r.Findings, sev) }

// Report turns the review into what the renderers print; errors and
// warnings become diagnostics with file and line.
func (r *Review) Report(tool report.Tool, showSuppressed bool) *report.Report {
	var diags []inventory.Diagnostic
	for _, err := range r.Errors {
		diags = append(diags, diagnostic(err))
	}
	return scan.AnalysisReport(tool, r.Inputs, r.Objects, r.Rules, r.Findings, diags, showSuppressed)
}

// diagnostic turns an input error into a report diagnostic.
func diagnostic(err error) inventory.Diagnostic {
	var ie *InputError
	if errors.As(err, &ie) {
		msg := ie.Msg
		if ie.Flag != "" {
			msg = "(named by --" + ie.Flag + ") " + msg
		}
		return inventory.Diagnostic{File: ie.File, Line: ie.Line, Message: msg, Warning: ie.Warning}
	}
	var ce *CloudError
	if errors.As(err, &ce) {
		return inventory.Diagnostic{File: ce.File, Line: ce.Line, Message: ce.Msg}
	}
	return inventory.Diagnostic{Message: err.Error()}
}
