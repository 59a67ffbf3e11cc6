package access

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"
	"unicode/utf8"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// MaxKubeconfigBytes bounds a kubeconfig file; real ones are a few
// kilobytes, so anything near this is not a kubeconfig.
const MaxKubeconfigBytes = 8 << 20

// KubeconfigAPIVersion is the apiVersion of the objects kubeconfig findings
// are about: a users[] entry is reported as kind User
// (checks.KindKubeconfigUser), a clusters[] entry as kind Cluster
// (checks.KindKubeconfigCluster), named like the entry. The finding's Path
// starts at the entry: users[name=alice].user.token.
const KubeconfigAPIVersion = "v1"

// KubeconfigError is a kubeconfig that could not be audited, in whole or in
// part (one user's certificate). It names the file and, when known, the
// line; it never quotes credential values.
type KubeconfigError struct {
	File string
	Line int // 1-based; 0 when unknown
	Msg  string
}

func (e *KubeconfigError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// AuditKubeconfig audits the users and clusters of one kubeconfig, read from
// file (the name used in findings and errors, and the directory relative
// certificate paths are resolved against). The time now decides whether a
// client certificate has expired.
//
// A kubeconfig that does not parse gives no findings and an error. Problems
// with one entry (a certificate file that cannot be read) are returned as an
// error beside the findings of everything else.
func AuditKubeconfig(file string, data []byte, now time.Time) ([]finding.Finding, error) {
	fs, _, err := auditKubeconfig(file, data, now)
	return fs, err
}

// AuditKubeconfigFiles reads and audits each kubeconfig. A file that cannot
// be read or parsed gives an error naming it; the findings of the other files
// are kept.
func AuditKubeconfigFiles(paths []string, now time.Time) ([]finding.Finding, []error) {
	fs, _, errs := auditKubeconfigFiles(paths, now)
	return fs, errs
}

// auditKubeconfigFiles is AuditKubeconfigFiles that also counts the entries
// audited.
func auditKubeconfigFiles(paths []string, now time.Time) ([]finding.Finding, int, []error) {
	var (
		all     []finding.Finding
		entries int
		errs    []error
	)
	for _, p := range paths {
		data, err := readKubeconfigFile(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fs, n, err := auditKubeconfig(p, data, now)
		all = append(all, fs...)
		entries += n
		if err != nil {
			errs = append(errs, kcSplitErrors(err)...)
		}
	}
	return all, entries, errs
}

// readKubeconfigFile reads a regular file of at most MaxKubeconfigBytes.
func readKubeconfigFile(path string) ([]byte, error) {
	data, err := kcReadRegularFile(path, MaxKubeconfigBytes)
	if err != nil {
		return nil, &KubeconfigError{File: path, Msg: err.Error()}
	}
	return data, nil
}

// kcReadRegularFile reads at most limit bytes of a regular file: a FIFO or a
// device named by a hostile kubeconfig must not hang or flood the audit.
func kcReadRegularFile(path string, limit int64) ([]byte, error) {
	// Stat before opening: opening a FIFO blocks until someone writes.
	st, err := os.Stat(path)
	if err != nil {
		return nil, kcPathError(err)
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("file is %d bytes, over the limit of %d bytes", st.Size(), limit)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, kcPathError(err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, kcPathError(err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("file is over the limit of %d bytes", limit)
	}
	return data, nil
}

// kcPathError drops the path from an *os.PathError: the caller names the
// file already.
func kcPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// kcSplitErrors undoes errors.Join so each problem is its own diagnostic.
func kcSplitErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// auditKubeconfig is AuditKubeconfig that also counts the user and cluster
// entries audited.
func auditKubeconfig(file string, data []byte, now time.Time) ([]finding.Finding, int, error) {
	rules, err := kubeconfigRuleSet()
	if err != nil {
		return nil, 0, err
	}
	if len(data) > MaxKubeconfigBytes {
		return nil, 0, &KubeconfigError{File: file, Msg: fmt.Sprintf("file is %d bytes, over the limit of %d bytes", len(data), MaxKubeconfigBytes)}
	}
	if bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data) {
		return nil, 0, &KubeconfigError{File: file, Msg: "binary file (NUL bytes or invalid UTF-8), not a kubeconfig"}
	}
	doc, err := parseKubeconfigDoc(file, data)
	if err != nil {
		return nil, 0, err
	}
	cfg, err := clientcmd.Load(data)
	if err != nil {
		return nil, 0, doc.loadError(err)
	}
	if len(cfg.AuthInfos)+len(cfg.Clusters)+len(cfg.Contexts) == 0 && !doc.declaredConfig {
		return nil, 0, &KubeconfigError{File: file, Line: doc.root.Line,
			Msg: "not a kubeconfig: no users, clusters or contexts, and no kind: Config"}
	}
	a := &kubeconfigAudit{file: file, dir: filepath.Dir(file), now: now, rules: rules}
	for _, name := range kcSortedByLine(cfg.AuthInfos, doc.userLines) {
		a.user(name, doc.userLines[name], cfg.AuthInfos[name])
	}
	for _, name := range kcSortedByLine(cfg.Clusters, doc.clusterLines) {
		a.cluster(name, doc.clusterLines[name], cfg.Clusters[name])
	}
	return a.findings, len(cfg.AuthInfos) + len(cfg.Clusters), errors.Join(a.errs...)
}

// kcSortedByLine returns the names of entries in the order of the file.
func kcSortedByLine[T any](entries map[string]T, lines map[string]int) []string {
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if li, lj := lines[names[i]], lines[names[j]]; li != lj {
			return li < lj
		}
		return names[i] < names[j]
	})
	return names
}

// kubeconfigAudit collects the findings and problems of one kubeconfig.
type kubeconfigAudit struct {
	file     string
	dir      string // relative certificate paths are resolved against it
	now      time.Time
	rules    map[finding.RuleID]*checks.Check
	findings []finding.Finding
	errs     []error
}

// report records a finding of rule id on an entry of the kubeconfig.
func (a *kubeconfigAudit) report(id finding.RuleID, kind string, name string, line int, path, msg string) {
	c := a.rules[id]
	f := finding.Finding{
		Rule:        c.ID,
		Category:    c.Category,
		Severity:    c.Severity,
		Object:      finding.ObjectRef{APIVersion: KubeconfigAPIVersion, Kind: kind, Name: name},
		Source:      &finding.Source{File: a.file, Line: line},
		Path:        path,
		Message:     msg,
		Remediation: c.Remediation,
		References:  c.References,
	}
	f.Fingerprint = f.ComputeFingerprint()
	a.findings = append(a.findings, f)
}

// problem records an entry that could not be audited completely.
func (a *kubeconfigAudit) problem(line int, format string, args ...any) {
	a.errs = append(a.errs, &KubeconfigError{File: a.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}
