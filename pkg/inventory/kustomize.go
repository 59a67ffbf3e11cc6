package inventory

import (
	"bytes"
	"path/filepath"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/kharden/kharden/pkg/finding"
)

// originAnnotation is where kustomize records the file a resource came
// from when a kustomization asks for buildMetadata: [originAnnotations].
const originAnnotation = "config.kubernetes.io/origin"

// buildKustomization builds a kustomization directory in-process, as
// `kustomize build` does. Each object is named after the file it came from
// (kustomize's origin information, turned on for the build and removed from
// the objects again), else after the kustomization directory; no lines.
func buildKustomization(dir string, opts LoadOptions) ([]*Object, []Diagnostic) {
	fs := &originFS{FileSystem: filesys.MakeFsOnDisk()}
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(fs, dir)
	if err != nil {
		return nil, []Diagnostic{{File: dir, Message: "Kustomize build failed: " + oneLine(err.Error())}}
	}
	var objs []*Object
	var diags []Diagnostic
	for _, r := range rm.Resources() {
		file := dir
		if o, err := r.GetOrigin(); err == nil && o != nil && o.Path != "" && o.Repo == "" {
			file = filepath.Join(dir, filepath.FromSlash(o.Path))
		}
		if !fs.userAsked {
			dropOrigin(r)
		}
		y, err := r.AsYAML()
		if err != nil {
			diags = append(diags, Diagnostic{File: file, Message: "cannot read a Kustomize result: " + oneLine(err.Error())})
			continue
		}
		p := docParser{file: file, origin: OriginKustomize, maxDoc: opts.MaxDocumentBytes}
		o, d := p.parse(y)
		for i := range d {
			d[i].Line = 0
		}
		for _, obj := range o {
			obj.Source = finding.Source{File: file}
		}
		objs = append(objs, o...)
		diags = append(diags, d...)
	}
	return objs, diags
}

func dropOrigin(r *resource.Resource) {
	ann := r.GetAnnotations()
	if _, ok := ann[originAnnotation]; !ok {
		return
	}
	delete(ann, originAnnotation)
	_ = r.SetAnnotations(ann)
}

// originFS adds buildMetadata: [originAnnotations] to every kustomization
// file it reads that does not set buildMetadata itself, so that kustomize
// tells which file each resource came from.
type originFS struct {
	filesys.FileSystem
	userAsked bool // a kustomization asked for origin annotations itself: keep them
}

func (f *originFS) ReadFile(path string) ([]byte, error) {
	data, err := f.FileSystem.ReadFile(path)
	if err != nil || !isKustomizationName(filepath.Base(path)) {
		return data, err
	}
	if bytes.Contains(data, []byte("buildMetadata")) {
		f.userAsked = f.userAsked || bytes.Contains(data, []byte("originAnnotations"))
		return data, nil
	}
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		return data, nil // JSON or flow style: leave it alone
	}
	out := make([]byte, 0, len(data)+40)
	out = append(out, data...)
	out = append(out, "\nbuildMetadata: [originAnnotations]\n"...)
	return out, nil
}

func isKustomizationName(name string) bool {
	for _, n := range kustomizationNames {
		if name == n {
			return true
		}
	}
	return false
}
