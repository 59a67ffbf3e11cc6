package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// slowDocument reads data as the yaml.v3 path does (one document, no
// diagnostic) and builds its position index. ok is false when the slow path
// would not yield exactly one clean document.
func slowDocument(data []byte) (v any, entries []posEntry, ok bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := safeDecode(dec, &doc); err != nil || len(doc.Content) == 0 {
		return nil, nil, false
	}
	var extra yaml.Node
	if err := safeDecode(dec, &extra); !errors.Is(err, io.EOF) {
		return nil, nil, false // another document, or an error after this one
	}
	conv := converter{}
	v, err := safeConvert(&conv, doc.Content[0])
	if err != nil || len(conv.warnings) > 0 {
		return nil, nil, false
	}
	src := &docSource{data: data}
	return v, src.index(), true
}

// fastDocumentDebug is fastParseDocument that also returns an unexpected
// panic of the fast path (a bug even though it falls back safely).
func fastDocumentDebug(data []byte) (m map[string]any, entries []posEntry, ok bool, bug any) {
	p := new(fastParser)
	m, entries, ok = p.parse(data, true)
	return m, entries, ok, p.bug
}

// indexDiff compares two position indexes as trees (the fast path lays
// entries out in another order): same keys, items, lines and columns.
func indexDiff(fast, slow []posEntry) string {
	if len(fast) == 0 || len(slow) == 0 {
		if len(fast) == len(slow) {
			return ""
		}
		return fmt.Sprintf("index sizes %d / %d", len(fast), len(slow))
	}
	var walk func(path string, f, s posEntry) string
	walk = func(path string, f, s posEntry) string {
		if f.key != s.key || f.item != s.item || f.line != s.line || f.column != s.column || f.count != s.count {
			return fmt.Sprintf("at %q: fast {key %q item %v %d:%d children %d}, slow {key %q item %v %d:%d children %d}",
				path, f.key, f.item, f.line, f.column, f.count, s.key, s.item, s.line, s.column, s.count)
		}
		for i := range f.count {
			fc, sc := fast[f.first+i], slow[s.first+i]
			p := Join(path, fc.key)
			if fc.item {
				p = Join(path, int(i))
			}
			if d := walk(p, fc, sc); d != "" {
				return d
			}
		}
		return ""
	}
	return walk("", fast[0], slow[0])
}

// checkFastPath fails when the fast path accepts data but reads it
// differently from the slow path. It reports whether the fast path accepted.
func checkFastPath(t *testing.T, name string, data []byte) bool {
	t.Helper()
	m, entries, ok, bug := fastDocumentDebug(data)
	if bug != nil {
		t.Errorf("%s: fast path panicked: %v", name, bug)
	}
	if !ok {
		return false
	}
	v, slowEntries, slowOK := slowDocument(data)
	if !slowOK {
		t.Errorf("%s: fast path accepts a document the slow path rejects or warns about:\n%s", name, clip(data))
		return true
	}
	if !reflect.DeepEqual(any(m), v) {
		t.Errorf("%s: values differ:\nfast %#v\nslow %#v\n%s", name, m, v, clip(data))
	}
	if d := indexDiff(entries, slowEntries); d != "" {
		t.Errorf("%s: positions differ: %s\n%s", name, d, clip(data))
	}
	return true
}

func clip(data []byte) string {
	if len(data) > 2000 {
		return string(data[:2000]) + "..."
	}
	return string(data)
}

// fastPathInputs lists the files the identity test reads: the corpus (when
// present), every YAML file of testdata and the fuzz seeds.
func fastPathInputs(t *testing.T) (corpus, other []string) {
	t.Helper()
	if dir, err := findCorpus(); err == nil {
		corpus = yamlFiles(t, filepath.Join(dir, "real"))
	}
	other = yamlFiles(t, "testdata")
	for _, d := range []string{"testdata/fuzz/FuzzParseDocuments", "testdata/fuzz/FuzzFastPath"} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			other = append(other, filepath.Join(d, e.Name()))
		}
	}
	return corpus, other
}

func yamlFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && isManifestName(path) {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// fuzzSeedData decodes a "go test fuzz v1" file holding one []byte.
func fuzzSeedData(data []byte) []byte {
	s := string(data)
	if !strings.HasPrefix(s, "go test fuzz v1\n") {
		return data
	}
	s = strings.TrimSpace(strings.TrimPrefix(s, "go test fuzz v1\n"))
	if !strings.HasPrefix(s, "[]byte(") || !strings.HasSuffix(s, ")") {
		return nil
	}
	lit := s[len("[]byte(") : len(s)-1]
	var b []byte
	if _, err := fmt.Sscanf(lit, "%q", &b); err != nil {
		return nil
	}
	return b
}

// TestFastPathMatchesSlowPath: every document the fast path accepts, in the
// corpus, testdata and fuzz seeds, has the slow path's value and positions.
func TestFastPathMatchesSlowPath(t *testing.T) {
	corpus, other := fastPathInputs(t)
	run := func(files []string) (docs, accepted int) {
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(f, "/fuzz/") {
				data = fuzzSeedData(data)
				// The seed as a whole, as FuzzFastPath feeds it.
				checkFastPath(t, f, data)
			}
			if isBinary(data) {
				continue
			}
			data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
			for _, c := range splitDocuments(data) {
				if isBlank(c.data) {
					continue
				}
				docs++
				if checkFastPath(t, fmt.Sprintf("%s:%d", f, c.line), c.data) {
					accepted++
				}
			}
		}
		return docs, accepted
	}
	docs, accepted := run(other)
	t.Logf("testdata and seeds: fast path accepts %d of %d documents", accepted, docs)
	if len(corpus) == 0 {
		t.Log("corpus not found; only testdata checked")
		return
	}
	docs, accepted = run(corpus)
	share := float64(accepted) / float64(docs) * 100
	t.Logf("corpus: fast path accepts %d of %d documents (%.1f%%)", accepted, docs, share)
	if share < 95 {
		t.Errorf("fast path accepts only %.1f%% of corpus documents, want > 95%%", share)
	}
}

// TestFastPathLoadIdentical parses every file with and without the fast
// path and compares objects, diagnostics and field positions.
func TestFastPathLoadIdentical(t *testing.T) {
	corpus, other := fastPathInputs(t)
	for _, f := range append(other, corpus...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(f, "/fuzz/") {
			data = fuzzSeedData(data)
		}
		compareLoads(t, f, data)
	}
}

func compareLoads(t *testing.T, name string, data []byte) {
	t.Helper()
	fastObjs, fastDiags := ParseDocuments("f.yaml", data, OriginFile)
	disableFastPath = true
	slowObjs, slowDiags := ParseDocuments("f.yaml", data, OriginFile)
	disableFastPath = false
	if !reflect.DeepEqual(fastDiags, slowDiags) {
		t.Errorf("%s: diagnostics differ:\nfast %v\nslow %v", name, fastDiags, slowDiags)
	}
	if len(fastObjs) != len(slowObjs) {
		t.Errorf("%s: %d objects with the fast path, %d without", name, len(fastObjs), len(slowObjs))
		return
	}
	for i, fo := range fastObjs {
		so := slowObjs[i]
		if fo.Ref != so.Ref || fo.GK != so.GK || fo.Source != so.Source || !reflect.DeepEqual(fo.Content, so.Content) {
			t.Errorf("%s: object %d differs", name, i)
			continue
		}
		for _, path := range append(fieldPaths("", fo.Content), "", "nothere", "spec.nothere[3].x", "metadata.name") {
			fl, fc, fok := fo.FieldPosition(path)
			sl, sc, sok := so.FieldPosition(path)
			if fl != sl || fc != sc || fok != sok {
				t.Errorf("%s: object %d: %q at %d:%d %v, slow path %d:%d %v", name, i, path, fl, fc, fok, sl, sc, sok)
			}
		}
	}
}

// fieldPaths lists the path of every value under v.
func fieldPaths(base string, v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := Join(base, k)
			out = append(out, p)
			out = append(out, fieldPaths(p, e)...)
		}
	case []any:
		for i, e := range x {
			p := Join(base, i)
			out = append(out, p)
			out = append(out, fieldPaths(p, e)...)
		}
	}
	return out
}

// fastSeeds are documents shaped like real manifests, and the corners the
// fast path must either read exactly or leave to the slow path.
var fastSeeds = []string{
	"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    app: web\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - name: app\n        image: nginx:1.25\n        args: [\"--port\", \"8080\"]\n        ports:\n          - containerPort: 8080\n            protocol: TCP\n        resources: {}\n        env:\n        - name: A\n          value: \"1\"\n",
	"---\n# comment\napiVersion: v1 # trailing\nkind: ConfigMap\ndata:\n  script: |\n    #!/bin/sh\n    echo hi\n\n    exit 0\n  folded: >-\n    a\n    b\n\n    c\n      d\n    e\n  keep: |+\n    x\n\n  strip: |-\n    y\n  ind: |2\n      z\n",
	"a: 'it''s'\nb: \"tab\\there \\u00e9 \\x41 \\U0001F600 \\\\ \\\" \\N\\_\\L\\P\\0\"\nc: ''\nd: \"\"\n",
	"a: yes\nb: No\nc: ~\nd: null\ne: 0x1F\nf: 017\ng: 1_000\nh: 1.5\ni: .inf\nj: -.inf\nk: .nan\nl: 1e3\nm: 12:30\nn: 2001-12-14\no:\np: # c\nq: 9223372036854775808\nr: 0b101\n",
	"1: a\n2.0: b\ntrue: c\nnull: d\n0x11: e\n0x10: f\n'q': g\n\"dq\": h\n",
	"a:\n- 1\n-\n- - x\n  - y\n- {}\n- []\n- {k: v, l: [1, 2]}\n- |\n  lit\n- 'q'\nb: x\n",
	"items:\n-\n  a: 1\n- b: 2\n  c:\n  - d\n  e: f\n",
	"a: &x 1\nb: *x\n",
	"a: !!str 1\n",
	"<<: {a: 1}\n",
	"? a\n: b\n",
	"a: 1\na: 2\n",
	"a: b\n  c\n",
	"a: 'b\n  c'\n",
	"a: [b,\n  c]\n",
	"\ta: 1\n",
	"%YAML 1.1\n---\na: 1\n",
	"{a: 1}\n",
	"[a]\n",
	"a: 1\r\nb: 2\r\n",
	"\ufeffa: 1\n",
	"a: b: c\n",
	"a: - b\n",
	"a: |\n  x\n y: 1\n",
	"a: |0\n  x\n",
	"a:\n    b: 1\n  c: 2\n",
	"  a: 1\n  b: 2\n",
	"  a: 1\nb: 2\n",
	"a: \"\\/\"\n",
	"a: \"\\q\"\n",
	"a: '#x' #c\nb: x#y\nc: x #y\n",
	"a: {b: c}x\n",
	"a: \"x\"y\n",
	"- a\n- b\n",
	"a\n",
	"",
	"---\n...\n",
	"a: |\n\n  \n   x\n  y\n",
	"a: >\n  x\n\n   y\n  z\n\n",
	"a:\n  |\n   x\nb: 1\n",
	"a:\n  x\nb: 1\n",
	"a: -1\nb: -x\nc: ?x\nd: :x\n",
	"é: ü\nf: {é: 1, b: [ü, 2]}\n",
	"a: [a b , 'c d' ,\"e\",]\n",
	"a: {b: 1, b: 2}\n",
	"a: [a:b]\n",
	"a:\n- x\n  - y\n",
	"a:\n  - x\n  b: 1\n",
	"- a: 1\n - b\n",
	"k: v\n---\nk: w\n",
	"description: Operation contains information about a requested or running\n  operation\nb:\n  x\n\n   y  \n  z # c\nc: d\n",
	"k:\n- a\n  b\n- c\n\n\n  d\n  # e\n-  f\n   g\n",
	"- a\n  b: c\n",
	"a: 'x\n  y''s\n\n  z '\nb: \"p\\\n   q \\\n\n r\\t\n s\"\n",
	"c: \"a\n  b\": 1\n",
	"k:\n- 'a\n b'\n- \"x\n\n  y\"\n",
	"- 'a\n b': c\n",
	"a:\n  b: 'x\ny'\n  c: \"p\n q\"\n  d: x\n y\n",
	"a: \"\\x4\"\nb: \"\\uD800\"\nc: \"x\\\"\n",
	"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: b\n",
}

// FuzzFastPath: for any input the fast path either gives up or reads it
// exactly as the slow path does (value and positions), and never panics.
func FuzzFastPath(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		checkFastPath(t, "input", data)
		for _, c := range splitDocuments(data) {
			checkFastPath(t, "chunk", c.data)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("took %s", d)
		}
	})
}

// TestFastSeeds runs the seeds through the identity check and shows which
// ones the fast path reads (the rest must be left to the slow path).
func TestFastSeeds(t *testing.T) {
	for _, s := range fastSeeds {
		checkFastPath(t, fmt.Sprintf("%q", s), []byte(s))
		compareLoads(t, fmt.Sprintf("%q", s), []byte(s))
	}
}

// BenchmarkLoadCorpusSlowPath is BenchmarkLoadCorpus with every document
// on the yaml.v3 path, to compare in one session.
func BenchmarkLoadCorpusSlowPath(b *testing.B) {
	disableFastPath = true
	defer func() { disableFastPath = false }()
	BenchmarkLoadCorpus(b)
}
