package inventory

import (
	"context"
	"path"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
)

// Defaults of `helm template` as kharden runs it.
const (
	DefaultReleaseName = "release-name"
	DefaultKubeVersion = "v1.37.2" // the Kubernetes version kharden targets
)

// renderChart renders a chart directory or packaged chart in-process, as
// `helm template` does (client-only, CRDs and hooks included). Objects are
// named after their template (the chart path joined with the template path
// from the "# Source:" comment) and have no lines: template lines do not
// map to rendered ones.
func renderChart(ctx context.Context, chartPath string, opts LoadOptions) ([]*Object, []Diagnostic) {
	fail := func(err error) []Diagnostic {
		return []Diagnostic{{File: chartPath, Message: "Helm chart failed to render: " + oneLine(err.Error())}}
	}
	ch, err := loader.Load(chartPath)
	if err != nil {
		return nil, fail(err)
	}
	if ch.Metadata != nil && ch.Metadata.Dependencies != nil {
		if err := action.CheckDependencies(ch, ch.Metadata.Dependencies); err != nil {
			return nil, fail(err)
		}
	}
	h := opts.Helm
	vals, err := (&values.Options{ValueFiles: h.ValuesFiles, Values: h.Set, StringValues: h.SetString}).MergeValues(getter.Providers{})
	if err != nil {
		return nil, fail(err)
	}
	kv := h.KubeVersion
	if kv == "" {
		kv = DefaultKubeVersion
	}
	kubeVersion, err := chartutil.ParseKubeVersion(kv)
	if err != nil {
		return nil, fail(err)
	}
	inst := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	inst.DryRun = true
	inst.DryRunOption = "client"
	inst.ClientOnly = true
	inst.Replace = true
	inst.IncludeCRDs = true
	inst.ReleaseName = orDefault(h.ReleaseName, DefaultReleaseName)
	inst.Namespace = orDefault(h.Namespace, "default")
	inst.KubeVersion = kubeVersion
	inst.APIVersions = chartutil.VersionSet(h.APIVersions)
	rel, err := inst.RunWithContext(ctx, ch, vals)
	if err != nil {
		return nil, fail(err)
	}
	var b strings.Builder
	b.WriteString(rel.Manifest)
	for _, hk := range rel.Hooks {
		b.WriteString("\n---\n# Source: ")
		b.WriteString(hk.Path)
		b.WriteString("\n")
		b.WriteString(hk.Manifest)
		b.WriteString("\n")
	}
	return parseRendered(chartPath, []byte(b.String()), OriginHelm, opts.MaxDocumentBytes, helmSource(chartPath))
}

// helmSource maps a "# Source:" path (chart name first) to a path under
// the chart as the user named it.
func helmSource(chartPath string) func(string) string {
	return func(src string) string {
		src = path.Clean(src)
		if i := strings.IndexByte(src, '/'); i >= 0 {
			src = src[i+1:]
		}
		return filepath.Join(chartPath, filepath.FromSlash(src))
	}
}

// parseRendered parses generated YAML (helm output), naming each document
// after the last "# Source:" comment met, without lines.
func parseRendered(fallback string, data []byte, origin Origin, maxDoc int64, name func(string) string) ([]*Object, []Diagnostic) {
	var objs []*Object
	var diags []Diagnostic
	file := fallback
	for _, c := range splitDocuments(data) {
		if src, ok := sourceComment(c.data); ok {
			file = name(src)
		}
		p := docParser{file: file, origin: origin, maxDoc: maxDoc}
		if p.maxDoc <= 0 {
			p.maxDoc = DefaultMaxDocumentBytes
		}
		p.chunk(c)
		objs = append(objs, p.objs...)
		for _, d := range p.diags {
			d.Line = 0 // a line of generated output means nothing to the user
			diags = append(diags, d)
		}
	}
	return objs, diags
}

// sourceComment finds Helm's "# Source: path" comment at the top of a chunk.
func sourceComment(data []byte) (string, bool) {
	for range 3 {
		i := strings.IndexByte(string(data), '\n')
		line := data
		if i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if s, ok := strings.CutPrefix(strings.TrimSpace(string(line)), "# Source: "); ok {
			return strings.TrimSpace(s), true
		}
		if len(data) == 0 {
			break
		}
	}
	return "", false
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// oneLine keeps a tool's multi-line error on one diagnostic line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
