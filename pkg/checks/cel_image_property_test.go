package checks

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kharden/kharden/pkg/cel"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/imageref"
	"github.com/kharden/kharden/pkg/inventory"
)

const testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// imageTable holds references chosen for the edges of the grammar.
var imageTable = []string{
	"nginx", "nginx:latest", "nginx:1.27", "nginx:LATEST", "nginx:latest-2024",
	"someone/tool", "someone/tool:2.0", "docker.io/nginx", "docker.io/library/nginx:1",
	"index.docker.io/library/busybox:1.36", "registry-1.docker.io/someone/x:1",
	"registry:5000/img", "registry:5000/img:latest", "registry:5000/img:1",
	"registry.internal:5000/team/api", "registry.internal:5001/team/api:2",
	"localhost/img", "localhost:5000/tools:latest", "localhost/latest:1",
	"ghcr.io/acme/api:1.4.2", "ghcr.io/acme-evil/api:1", "ghcr.io/acme", "ghcr.io/acme/latest",
	"quay.io/evil/miner:1.0", "[::1]:5000/img:1",
	"img@" + testDigest, "img:latest@" + testDigest, "ghcr.io/acme/api:1@" + testDigest,
	"registry:5000/img@" + testDigest,
	// Invalid references: outside the property, kept to show they do not
	// break the guardrails.
	"Nginx", "img@sha256:abc", "a:latest:latest", "foo@bar:latest", "", "/", "@",
}

// allowlists the registry rule is tried with.
var allowlists = [][]string{
	nil,
	{"ghcr.io/acme"},
	{"docker.io/library", "registry:5000"},
	{"docker.io", "localhost:5000", "[::1]:5000"},
	{"index.docker.io/someone", "quay.io"},
}

// fuzzSeeds reads the seed corpus of imageref's FuzzParse.
func fuzzSeeds(t testing.TB) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "imageref", "testdata", "fuzz", "FuzzParse", "*"))
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if rest, ok := strings.CutPrefix(line, "string("); ok {
				if s, err := strconv.Unquote(strings.TrimSuffix(rest, ")")); err == nil {
					out = append(out, s)
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no fuzz seeds found")
	}
	return out
}

type imagePrograms struct{ latest, pinned, registry *cel.Program }

func compileImagePrograms(t testing.TB) imagePrograms {
	t.Helper()
	var p imagePrograms
	for _, x := range []struct {
		c   *Check
		dst **cel.Program
	}{{imageLatestTag, &p.latest}, {imageNotPinned, &p.pinned}, {imageRegistryNotAllowed, &p.registry}} {
		prg, err := cel.Compile(x.c.Guardrail)
		if err != nil {
			t.Fatal(err)
		}
		*x.dst = prg
	}
	return p
}

func podWithImage(t testing.TB, image string) *inventory.Object {
	o, err := inventory.NewObject(map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "p", "namespace": "n"},
		"spec":     map[string]any{"containers": []any{map[string]any{"name": "c", "image": image}}},
	}, inventory.OriginFile, finding.Source{})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func violates(t testing.TB, p *cel.Program, o *inventory.Object, params map[string]any) bool {
	t.Helper()
	vs, err := p.Evaluate(cel.NewInput(o, params))
	if err != nil {
		t.Fatalf("%s: %v", o.Ref, err)
	}
	return len(vs) > 0
}

// checkImageAgreement holds the CEL image rules to pkg/imageref on one
// reference: for every reference imageref accepts, the verdicts are equal.
func checkImageAgreement(t testing.TB, progs imagePrograms, image string) {
	ref, err := imageref.Parse(image)
	o := podWithImage(t, image)
	for _, list := range allowlists {
		params := map[string]any{"data": cel.ParamsData(list, nil, "")}
		gotLatest := violates(t, progs.latest, o, params)
		gotUnpinned := violates(t, progs.pinned, o, params)
		gotRegistry := violates(t, progs.registry, o, params)
		if err != nil {
			continue // the runtime refuses it; the guardrails need only not fail
		}
		if want := ref.Latest(); gotLatest != want {
			t.Errorf("%q: image-latest-tag CEL %v, imageref %v", image, gotLatest, want)
		}
		if want := !ref.Pinned(); gotUnpinned != want {
			t.Errorf("%q: image-not-pinned CEL %v, imageref %v", image, gotUnpinned, want)
		}
		if want := len(list) > 0 && !ref.Allowed(list); gotRegistry != want {
			t.Errorf("%q with %v: image-registry-not-allowed CEL %v, imageref %v", image, list, gotRegistry, want)
		}
	}
}

// TestImageGuardrailsAgreeWithImageref is the property that keeps the CEL
// and Go semantics of image references from drifting.
func TestImageGuardrailsAgreeWithImageref(t *testing.T) {
	progs := compileImagePrograms(t)
	images := append(append([]string{}, imageTable...), fuzzSeeds(t)...)
	valid := 0
	for _, s := range images {
		if _, err := imageref.Parse(s); err == nil {
			valid++
		}
		checkImageAgreement(t, progs, s)
	}
	if valid < 20 {
		t.Fatalf("only %d valid references exercised", valid)
	}
}

// FuzzImageGuardrails extends the property to generated references:
// go test ./pkg/checks -run XXX -fuzz FuzzImageGuardrails
func FuzzImageGuardrails(f *testing.F) {
	for _, s := range imageTable {
		f.Add(s)
	}
	progs := compileImagePrograms(f)
	f.Fuzz(func(t *testing.T, image string) {
		checkImageAgreement(t, progs, image)
	})
}
