package inventory

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"go.yaml.in/yaml/v3"
)

type unitKind int

const (
	unitFile unitKind = iota
	unitStdin
	unitChart        // a chart directory
	unitChartArchive // a packaged chart (.tgz)
	unitKustomize    // a directory with a kustomization file
	unitDiag         // a problem met while walking, kept in walk order
)

// unit is one thing to read, in the order objects are reported.
type unit struct {
	kind     unitKind
	path     string
	arg      int  // index in LoadOptions.Paths
	explicit bool // named by the user (not met in a walk)
	diag     Diagnostic
}

// kustomizationNames are the file names kustomize recognises.
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

func kustomizationFile(dir string) string {
	for _, n := range kustomizationNames {
		if fi, err := os.Stat(filepath.Join(dir, n)); err == nil && fi.Mode().IsRegular() {
			return filepath.Join(dir, n)
		}
	}
	return ""
}

func isChartDir(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, "Chart.yaml"))
	return err == nil && fi.Mode().IsRegular()
}

func isChartArchive(path string) bool {
	l := strings.ToLower(path)
	return strings.HasSuffix(l, ".tgz") || strings.HasSuffix(l, ".tar.gz")
}

func isManifestName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// discover turns one LoadOptions path into units.
func discover(arg int, p string) []unit {
	if p == "-" {
		return []unit{{kind: unitStdin, path: StdinName, arg: arg, explicit: true}}
	}
	fi, err := os.Stat(p)
	if err != nil {
		return []unit{{kind: unitDiag, arg: arg, diag: Diagnostic{File: p, Message: "cannot read: " + errReason(err)}}}
	}
	switch {
	case !fi.IsDir() && isChartArchive(p):
		return []unit{{kind: unitChartArchive, path: p, arg: arg, explicit: true}}
	case !fi.IsDir():
		return []unit{{kind: unitFile, path: p, arg: arg, explicit: true}}
	case isChartDir(p):
		return []unit{{kind: unitChart, path: p, arg: arg, explicit: true}}
	case kustomizationFile(p) != "":
		return []unit{{kind: unitKustomize, path: p, arg: arg, explicit: true}}
	}
	w := walker{arg: arg, visited: map[fileID]bool{}, onPath: map[fileID]string{}}
	w.walk(p, fi)
	return w.dropKustomizeInputs()
}

// fileID identifies a directory across symlinks.
type fileID struct{ dev, ino uint64 }

func idOf(fi os.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}, true //nolint:unconvert // field types vary by platform
}

type walker struct {
	arg     int
	units   []unit
	visited map[fileID]bool
	onPath  map[fileID]string // directories being walked: a loop leads back to one
}

func (w *walker) warn(path, msg string) {
	w.units = append(w.units, unit{kind: unitDiag, arg: w.arg, diag: Diagnostic{File: path, Warning: true, Message: msg}})
}

// walk reads a directory recursively in sorted order. Symlinks are
// followed; a directory reached again while inside it (a loop) is reported
// and not entered, one reached again elsewhere is not read twice.
func (w *walker) walk(dir string, fi os.FileInfo) {
	if id, ok := idOf(fi); ok {
		if anc, loop := w.onPath[id]; loop {
			w.warn(dir, "symlink loop back to "+anc+"; not followed")
			return
		}
		if w.visited[id] {
			return
		}
		w.visited[id] = true
		w.onPath[id] = dir
		defer delete(w.onPath, id)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		w.units = append(w.units, unit{kind: unitDiag, arg: w.arg, diag: Diagnostic{File: dir, Message: "cannot read directory: " + errReason(err)}})
		return
	}
	for _, e := range entries { // os.ReadDir sorts by name
		name := e.Name()
		path := filepath.Join(dir, name)
		mode := e.Type()
		var info os.FileInfo
		if mode&os.ModeSymlink != 0 {
			info, err = os.Stat(path)
			if err != nil {
				w.warn(path, "broken symlink; skipped")
				continue
			}
			mode = info.Mode().Type()
		}
		switch {
		case mode.IsDir():
			if name == ".git" {
				continue
			}
			if info == nil {
				if info, err = os.Stat(path); err != nil {
					continue
				}
			}
			switch {
			case isChartDir(path):
				w.units = append(w.units, unit{kind: unitChart, path: path, arg: w.arg})
			case kustomizationFile(path) != "":
				w.units = append(w.units, unit{kind: unitKustomize, path: path, arg: w.arg})
			default:
				w.walk(path, info)
			}
		case mode.IsRegular() && isManifestName(name) && name != khardenConfigName:
			w.units = append(w.units, unit{kind: unitFile, path: path, arg: w.arg})
		}
	}
}

// dropKustomizeInputs removes what a kustomization of the same walk already
// reads: a base or component directory used by an overlay (its objects come
// through the overlay) and a resource file outside the kustomization's own
// directory (whose raw files are never walked).
func (w *walker) dropKustomizeInputs() []unit {
	used := map[string]bool{}
	for _, u := range w.units {
		if u.kind != unitKustomize {
			continue
		}
		for _, ref := range kustomizationRefs(u.path) {
			used[absClean(filepath.Join(u.path, ref))] = true
		}
	}
	if len(used) == 0 {
		return w.units
	}
	return slices.DeleteFunc(w.units, func(u unit) bool {
		return (u.kind == unitKustomize || u.kind == unitFile) && used[absClean(u.path)]
	})
}

func absClean(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}

// kustomizationRefs lists the local paths a kustomization reads objects
// from (resources, bases, components); remote URLs are left out.
func kustomizationRefs(dir string) []string {
	data, err := os.ReadFile(kustomizationFile(dir))
	if err != nil {
		return nil
	}
	var k struct {
		Resources  []string `yaml:"resources"`
		Bases      []string `yaml:"bases"`
		Components []string `yaml:"components"`
	}
	if yaml.Unmarshal(data, &k) != nil {
		return nil
	}
	var out []string
	for _, r := range slices.Concat(k.Resources, k.Bases, k.Components) {
		if strings.Contains(r, "://") || strings.Contains(r, "?ref=") || strings.HasPrefix(r, "github.com/") || strings.HasPrefix(r, "git@") {
			continue
		}
		out = append(out, r)
	}
	return out
}

// khardenConfigName is kharden's own configuration file (pkg/config), which a
// directory walk meets beside the manifests it configures: it is not one.
const khardenConfigName = ".kharden.yaml"
