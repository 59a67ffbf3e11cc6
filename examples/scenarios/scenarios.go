// Package scenarios holds the manifests of kharden's incident scenarios (the
// "Real incidents" of the product brief), loaded into a lab cluster by
// `kharden lab scenario`. Each scenario is a directory named after it.
//
// The incidents that examples/incidents already shows as manifests
// (lateral-movement, token-leak, unpinned-hotfix) are not copied here as
// YAML, which `kharden scan examples/` would report twice: incidents_gen.go
// carries them as Go strings, kept identical to examples/incidents by
// TestIncidentsUpToDate (`go generate ./examples/scenarios` rewrites it).
package scenarios

//go:generate go test -run TestIncidentsUpToDate -update

import (
	"embed"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed */*.yaml
var own embed.FS

// File is one manifest file of a scenario.
type File struct {
	// Path is relative to examples/ ("scenarios/dns-miner/miner.yaml",
	// "incidents/token-leak/checkout.yaml").
	Path string
	Data []byte
}

// Files returns the manifest files of a scenario directory (the scenario's
// name), those of examples/incidents/<name> first, each set in name order.
// It returns nothing for an unknown name.
func Files(name string) []File {
	var out []File
	var keys []string
	prefix := name + "/"
	for k := range incidentFiles {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, File{Path: path.Join("incidents", k), Data: []byte(incidentFiles[k])})
	}
	entries, err := fs.ReadDir(own, name)
	if err != nil {
		return out
	}
	for _, e := range entries { // ReadDir sorts by name
		data, err := fs.ReadFile(own, path.Join(name, e.Name()))
		if err != nil {
			continue
		}
		out = append(out, File{Path: path.Join("scenarios", name, e.Name()), Data: data})
	}
	return out
}
