package access

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzAuditKubeconfig: whatever the bytes, the audit returns findings or an
// error naming the file, never panics, and every finding points into the
// file. The seeds are the fixtures plus testdata/fuzz/FuzzAuditKubeconfig.
func FuzzAuditKubeconfig(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(kcFixtureDir, "*.yaml"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// Relative certificate paths resolve against the fixture directory, so
	// seeds that name certs/*.crt read the real certificates.
	file := filepath.Join(kcFixtureDir, "fuzz.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, err := AuditKubeconfig(file, data, kcNow)
		if err != nil {
			for _, e := range kcSplitErrors(err) {
				if !strings.HasPrefix(e.Error(), file+":") {
					t.Fatalf("error does not name the file: %v", e)
				}
			}
		}
		for _, fd := range fs {
			if fd.Source == nil || fd.Source.File != file || fd.Rule == "" || fd.Object.Kind == "" || fd.Message == "" {
				t.Fatalf("incomplete finding %+v", fd)
			}
		}
	})
}
