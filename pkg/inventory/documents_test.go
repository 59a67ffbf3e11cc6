package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// objSummary is what the parser tests compare: kind/name@line.
func objSummary(objs []*Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, fmt.Sprintf("%s/%s@%d", o.Ref.Kind, o.Ref.Name, o.Source.Line))
	}
	return out
}

// diagSummary: "E:line:message" or "W:line:message".
func diagSummary(diags []Diagnostic) []string {
	var out []string
	for _, d := range diags {
		lvl := "E"
		if d.Warning {
			lvl = "W"
		}
		out = append(out, fmt.Sprintf("%s:%d:%s", lvl, d.Line, d.Message))
	}
	return out
}

func TestParseDocuments(t *testing.T) {
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i, prev := 'b', 'a'; i <= 'j'; i, prev = i+1, i {
		bomb += fmt.Sprintf("%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", i, i, prev, prev, prev, prev, prev, prev, prev, prev, prev, prev)
	}
	tests := []struct {
		name      string
		in        string
		wantObjs  []string
		wantDiags []string // prefixes
	}{
		{
			name:     "multi-document",
			in:       "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\n",
			wantObjs: []string{"Pod/a@1", "Pod/b@6"},
		},
		{
			name:     "comment-only and empty documents skipped",
			in:       "# header\n---\n# only a comment\n---\n---\n\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n---\n",
			wantObjs: []string{"Pod/a@8"},
		},
		{
			name:     "line is the first key, after comments",
			in:       "---\n# leading comment\n\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\n",
			wantObjs: []string{"Pod/a@4"},
		},
		{
			name:     "marker with content and document end marker",
			in:       "--- # comment on the marker\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\n...\n--- {apiVersion: v1, kind: Pod, metadata: {name: b}}\n",
			wantObjs: []string{"Pod/a@2", "Pod/b@6"},
		},
		{
			name:     "flow style with comments",
			in:       "---\n{\n  # comment\n  apiVersion: v1,\n  kind: Pod,\n  metadata: { name: a },\n}\n",
			wantObjs: []string{"Pod/a@4"},
		},
		{
			name:     "JSON",
			in:       `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}, "spec": {"containers": [{"name": "c", "image": "x:1"}]}}`,
			wantObjs: []string{"Pod/a@1"},
		},
		{
			name:      "duplicate keys: last wins, warning at the duplicate",
			in:        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: first\n  name: second\n",
			wantObjs:  []string{"Pod/second@1"},
			wantDiags: []string{`W:5:duplicate key "name" (first at line 4)`},
		},
		{
			name:      "complex key fails its document only",
			in:        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\ndata:\n  ? [a, b]\n  : x\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: good}\n",
			wantObjs:  []string{"ConfigMap/good@8"},
			wantDiags: []string{"E:5:complex mapping key"},
		},
		{
			name:      "syntax error fails its document only",
			in:        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n   bad: [\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\n",
			wantObjs:  []string{"Pod/b@7"},
			wantDiags: []string{"E:"},
		},
		{
			name:      "alias bomb is one error",
			in:        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n" + indent(bomb, "  ") + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: after}\n",
			wantObjs:  []string{"Pod/after@16"},
			wantDiags: []string{"E:5:aliases expand to more than"},
		},
		{
			name:      "self-referencing anchor is bounded",
			in:        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: loop}\ndata: &a\n  x: *a\n",
			wantDiags: []string{"E:"},
		},
		{
			name:     "anchors, aliases and merge keys",
			in:       "base: &base\n  app: web\n  tier: front\napiVersion: v1\nkind: Pod\nmetadata:\n  name: m\n  labels:\n    <<: *base\n    tier: back\n",
			wantObjs: []string{"Pod/m@1"},
		},
		{
			name:     "List items keep their lines",
			in:       "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: b}\n",
			wantObjs: []string{"Pod/a@4", "Pod/b@7"},
		},
		{
			name:      "typed List and a bad item",
			in:        "apiVersion: v1\nkind: ServiceList\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: s}\n- just a string\n",
			wantObjs:  []string{"Service/s@4"},
			wantDiags: []string{"W:7:item 1 of the list is not a Kubernetes object"},
		},
		{
			name:      "not a Kubernetes object",
			in:        "name: CI\non:\n  push: {}\njobs: {}\n",
			wantDiags: []string{"W:1:" + msgNotObject},
		},
		{
			name:      "scalar document",
			in:        "just text\n",
			wantDiags: []string{"W:1:" + msgNotObject},
		},
		{
			name:      "binary",
			in:        "apiVersion: v1\x00\x01",
			wantDiags: []string{"E:0:" + msgBinary},
		},
		{
			name:      "invalid UTF-8",
			in:        "apiVersion: v1\nkind: Pod\nmetadata: {name: \xff}\n",
			wantDiags: []string{"E:0:" + msgBinary},
		},
		{
			name:     "UTF-8 BOM",
			in:       "\xef\xbb\xbfapiVersion: v1\nkind: Pod\nmetadata: {name: a}\n",
			wantObjs: []string{"Pod/a@1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, diags := ParseDocuments("f.yaml", []byte(tt.in), OriginFile)
			if got := objSummary(objs); strings.Join(got, ",") != strings.Join(tt.wantObjs, ",") {
				t.Errorf("objects = %v, want %v", got, tt.wantObjs)
			}
			got := diagSummary(diags)
			if len(got) != len(tt.wantDiags) {
				t.Fatalf("diagnostics = %q, want %q", got, tt.wantDiags)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.wantDiags[i]) {
					t.Errorf("diagnostic %d = %q, want prefix %q", i, got[i], tt.wantDiags[i])
				}
				if diags[i].File != "f.yaml" {
					t.Errorf("diagnostic %d names %q", i, diags[i].File)
				}
			}
		})
	}
}

func indent(s, pre string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pre + l
		}
	}
	return strings.Join(lines, "")
}

func TestParseDocumentsContent(t *testing.T) {
	in := "xa: &xa {own: merged, fromx: xa}\nxb: &xb {fromx: xb, fromy: xb}\n" +
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    <<: [*xa, *xb]\n    own: mine\ndata:\n  404: a\n  yes: b\n  1.5: c\n  0x10: d\n  \"quoted\": e\n"
	objs, diags := ParseDocuments("c.yaml", []byte(in), OriginFile)
	if len(diags) != 0 || len(objs) != 1 {
		t.Fatalf("objs %d, diags %v", len(objs), diags)
	}
	c := objs[0].Content
	labels := MapAt(c, "metadata", "labels")
	want := map[string]string{"own": "mine", "fromx": "xa", "fromy": "xb"}
	for k, v := range want {
		if labels[k] != v {
			t.Errorf("labels[%s] = %v, want %s (merge: explicit keys win, first source wins)", k, labels[k], v)
		}
	}
	data := MapAt(c, "data")
	for _, k := range []string{"404", "true", "1.5", "16", "quoted"} {
		if _, ok := data[k]; !ok {
			t.Errorf("data has no key %q: %v", k, data)
		}
	}
}

func TestMaxDocumentBytes(t *testing.T) {
	big := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  x: " + strings.Repeat("a", 2000) + "\n"
	in := big + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: small}\n"
	objs, diags := ParseDocumentsLimit("f.yaml", []byte(in), OriginFile, 1000)
	if got := objSummary(objs); len(got) != 1 || got[0] != "Pod/small@7" {
		t.Errorf("objects = %v", got)
	}
	if len(diags) != 1 || diags[0].Warning || diags[0].Line != 1 || !strings.Contains(diags[0].Message, "over the limit of 1000 bytes") {
		t.Errorf("diagnostics = %v", diags)
	}
}

// A syntax error right after a Secret value must not echo the value.
func TestErrorsDoNotLeakValues(t *testing.T) {
	const secret = "c3VwZXJzZWNyZXQtdmFsdWU"
	inputs := []string{
		"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  password: " + secret + "\n  bad: [unclosed\n",
		"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  password: \"" + secret + "\n",
		"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  password: " + secret + "\n   nested: x\n",
		"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  password: *" + secret + "\n",
		"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  password: !!int " + secret + "\n",
		"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  password: '" + secret + "'\n\t- x\n",
		"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  password: \"" + secret + "\\q\"\n",
	}
	for i, in := range inputs {
		objs, diags := ParseDocuments("secret.yaml", []byte(in), OriginFile)
		if len(diags) == 0 {
			t.Errorf("input %d: no diagnostic (objects %v)", i, objSummary(objs))
		}
		for _, d := range diags {
			if strings.Contains(d.String(), secret) || strings.Contains(d.String(), secret[:8]) {
				t.Errorf("input %d: diagnostic leaks the value: %s", i, d)
			}
			if d.File != "secret.yaml" || d.Line == 0 {
				t.Errorf("input %d: diagnostic does not locate the problem: %+v", i, d)
			}
		}
		for _, o := range objs {
			if strings.Contains(fmt.Sprint(o.Content), secret) {
				t.Errorf("input %d: Secret value kept in content", i)
			}
		}
	}
}

// TestTrickyFiles reads the reproductions of the corpus files that trip
// common parsers (corpus SOURCES.md).
func TestTrickyFiles(t *testing.T) {
	tests := []struct {
		file      string
		wantObjs  []string
		wantWarns int
		check     func(t *testing.T, objs []*Object)
	}{
		{file: "duplicate-keys.yaml", wantObjs: []string{"ReplicationController/etcd@1"}, wantWarns: 1, check: func(t *testing.T, objs []*Object) {
			if v, _ := StringAt(objs[0].Content, "spec", "selector", "name"); v != "etcd" {
				t.Errorf("selector = %q, want the last one", v)
			}
		}},
		{file: "run-together.yaml", wantObjs: []string{"ConfigMap/local-path-config@1"}, wantWarns: 3, check: func(t *testing.T, objs []*Object) {
			if objs[0].Content["provisioner"] != "rancher.io/local-path" {
				t.Error("keys of the first object are kept beside the second's")
			}
		}},
		{file: "flow-style.yaml", wantObjs: []string{"Pod/flow-pod@4"}},
		{file: "flow-multi.yaml", wantObjs: []string{"ServiceAccount/one@2", "ServiceAccount/two@6"}},
		{file: "wrong-scalar-types.yaml", wantObjs: []string{"Pod/fc@1"}, check: func(t *testing.T, objs []*Object) {
			env := SliceAt(objs[0].Content, "spec", "containers")[0].(map[string]any)["env"].([]any)
			if env[0].(map[string]any)["value"] != true {
				t.Error("boolean env value not kept as a bool")
			}
		}},
		{file: "comment-only-docs.yaml", wantObjs: []string{"Service/db@6"}},
		{file: "int-keys-configmap.yaml", wantObjs: []string{"ConfigMap/custom-error-pages@1"}, check: func(t *testing.T, objs []*Object) {
			data := MapAt(objs[0].Content, "data")
			for _, k := range []string{"404", "503", "true", "1.5"} {
				if _, ok := data[k].(string); !ok {
					t.Errorf("data[%q] missing: %v", k, data)
				}
			}
		}},
		{file: "removed-apis.yaml", wantObjs: []string{"Ingress/old-ingress@1", "CronJob/old-cron@10", "PodSecurityPolicy/old-psp@25"}, check: func(t *testing.T, objs []*Object) {
			if objs[0].GK != KindIngress || objs[1].GK != KindCronJob {
				t.Errorf("kinds not canonical: %v %v", objs[0].GK, objs[1].GK)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "tricky", tt.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			objs, diags := ParseDocuments(path, data, OriginFile)
			if got := objSummary(objs); strings.Join(got, ",") != strings.Join(tt.wantObjs, ",") {
				t.Fatalf("objects = %v, want %v", got, tt.wantObjs)
			}
			warns := 0
			for _, d := range diags {
				if !d.Warning {
					t.Errorf("error: %s", d)
				}
				warns++
			}
			if warns != tt.wantWarns {
				t.Errorf("warnings = %v, want %d", diags, tt.wantWarns)
			}
			if tt.check != nil {
				tt.check(t, objs)
			}
		})
	}
}
