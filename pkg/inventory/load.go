package inventory

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
)

// LoadOptions says what to read.
type LoadOptions struct {
	// Paths are files, directories (recursive), Helm chart directories or
	// packaged charts (.tgz), Kustomize directories, or "-" for Stdin.
	Paths []string
	Stdin io.Reader
	// DefaultNamespace is given to namespaced objects without one.
	DefaultNamespace string
	Helm             HelmOptions
	// MaxDocumentBytes bounds one YAML/JSON document; 0 means the default.
	MaxDocumentBytes int64
	// Workers parse files in parallel; 0 means GOMAXPROCS.
	Workers int
}

// HelmOptions are the usual `helm template` inputs.
type HelmOptions struct {
	ValuesFiles []string
	Set         []string // key=value, as --set
	SetString   []string
	ReleaseName string
	Namespace   string
	KubeVersion string   // default: the Kubernetes version kharden targets
	APIVersions []string // as helm template --api-versions
}

// StdinName is the file name given to objects read from standard input.
const StdinName = "<stdin>"

// Load reads every source into one inventory. Input problems become
// Diagnostics on the inventory; the error is only for the tool itself
// breaking (or ctx being cancelled). Objects come in the order of
// opts.Paths, then sorted paths within a directory, then document order,
// whatever the parallelism. See the package documentation for how
// directories are read.
func Load(ctx context.Context, opts LoadOptions) (*Inventory, error) {
	var units []unit
	for i, p := range opts.Paths {
		units = append(units, discover(i, p)...)
	}
	results := make([]unitResult, len(units))
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Stdin is read here, once, not by a worker.
	var stdin []byte
	var stdinErr error
	for _, u := range units {
		if u.kind == unitStdin {
			if opts.Stdin == nil {
				stdinErr = fmt.Errorf("no standard input available")
			} else {
				stdin, stdinErr = io.ReadAll(opts.Stdin)
			}
			break
		}
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, max(len(units), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = runUnit(ctx, units[i], opts, stdin, stdinErr)
			}
		}()
	}
feed:
	for i := range units {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	b := &Builder{DefaultNamespace: opts.DefaultNamespace}
	perArg := make([]int, len(opts.Paths))
	argErrors := make([]bool, len(opts.Paths))
	for i, u := range units {
		r := results[i]
		if u.explicit && len(r.objs) == 0 {
			r.diags = explicitWithoutObjects(u.path, r.diags)
		}
		perArg[u.arg] += len(r.objs)
		for _, o := range r.objs {
			b.Add(o)
		}
		for _, d := range r.diags {
			argErrors[u.arg] = argErrors[u.arg] || !d.Warning
			b.AddDiagnostic(d)
		}
	}
	for i, p := range opts.Paths {
		if perArg[i] > 0 || argErrors[i] || p == "-" {
			continue
		}
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			b.AddDiagnostic(Diagnostic{File: p, Message: "no Kubernetes objects found in " + p, NoObjects: true})
		}
	}
	return b.Build(), nil
}

// explicitWithoutObjects: a file the user named that yields nothing is an
// error (a CI typo must not pass silently), and so are the non-object
// documents that explain why.
func explicitWithoutObjects(path string, diags []Diagnostic) []Diagnostic {
	hasError := false
	for i := range diags {
		if strings.HasSuffix(diags[i].Message, msgNotObject) || diags[i].Message == msgBinary {
			diags[i].Warning = false
		}
		if !diags[i].Warning {
			hasError = true
		}
	}
	if !hasError {
		diags = append(diags, Diagnostic{File: path, Message: "no Kubernetes objects found in " + path, NoObjects: true})
	}
	return diags
}

type unitResult struct {
	objs  []*Object
	diags []Diagnostic
}

func runUnit(ctx context.Context, u unit, opts LoadOptions, stdin []byte, stdinErr error) unitResult {
	if ctx.Err() != nil {
		return unitResult{}
	}
	var r unitResult
	switch u.kind {
	case unitDiag:
		r.diags = []Diagnostic{u.diag}
	case unitStdin:
		if stdinErr != nil {
			r.diags = []Diagnostic{{File: StdinName, Message: "cannot read: " + stdinErr.Error()}}
			break
		}
		r.objs, r.diags = ParseDocumentsLimit(StdinName, stdin, OriginFile, opts.MaxDocumentBytes)
	case unitFile:
		data, err := os.ReadFile(u.path)
		if err != nil {
			r.diags = []Diagnostic{{File: u.path, Message: "cannot read: " + errReason(err)}}
			break
		}
		r.objs, r.diags = ParseDocumentsLimit(u.path, data, OriginFile, opts.MaxDocumentBytes)
		if !u.explicit {
			for i := range r.diags {
				if r.diags[i].Message == msgBinary {
					r.diags[i].Warning = true
				}
			}
		}
	case unitChart, unitChartArchive:
		r.objs, r.diags = renderChart(ctx, u.path, opts)
	case unitKustomize:
		r.objs, r.diags = buildKustomization(u.path, opts)
	}
	return r
}

// errReason is an OS error without the path (the diagnostic names it).
func errReason(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}
