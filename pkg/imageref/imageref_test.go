package imageref

import (
	"errors"
	"strings"
	"testing"
)

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Reference
	}{
		{"nginx", Reference{Registry: "docker.io", Repository: "library/nginx", Tag: "latest"}},
		{"nginx:1.27", Reference{Registry: "docker.io", Repository: "library/nginx", Tag: "1.27", TagWritten: true}},
		{"nginx:latest", Reference{Registry: "docker.io", Repository: "library/nginx", Tag: "latest", TagWritten: true}},
		{"someone/tool", Reference{Registry: "docker.io", Repository: "someone/tool", Tag: "latest"}},
		{"docker.io/nginx", Reference{Registry: "docker.io", Repository: "library/nginx", Tag: "latest"}},
		{"index.docker.io/library/nginx:1", Reference{Registry: "docker.io", Repository: "library/nginx", Tag: "1", TagWritten: true}},
		{"registry:5000/img", Reference{Registry: "registry:5000", Repository: "img", Tag: "latest"}},
		{"registry.internal:5000/team/api:2.0", Reference{Registry: "registry.internal:5000", Repository: "team/api", Tag: "2.0", TagWritten: true}},
		{"localhost/img:dev", Reference{Registry: "localhost", Repository: "img", Tag: "dev", TagWritten: true}},
		{"localhost:5000/a/b/c", Reference{Registry: "localhost:5000", Repository: "a/b/c", Tag: "latest"}},
		{"img@sha256:" + hex64, Reference{Registry: "docker.io", Repository: "library/img", Digest: "sha256:" + hex64}},
		{"ghcr.io/acme/api:1.4.2@sha256:" + hex64, Reference{Registry: "ghcr.io", Repository: "acme/api", Tag: "1.4.2", TagWritten: true, Digest: "sha256:" + hex64}},
		{"ghcr.io/a__b/c-d--e/f.g:V_1.0-rc", Reference{Registry: "ghcr.io", Repository: "a__b/c-d--e/f.g", Tag: "V_1.0-rc", TagWritten: true}},
		{"[::1]:5000/img:1", Reference{Registry: "[::1]:5000", Repository: "img", Tag: "1", TagWritten: true}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "empty"},
		{"Nginx", "component \"Nginx\""},
		{"ghcr.io/Acme/api", "component \"Acme\""},
		{"nginx@sha256:abc", "64 lowercase hex"},
		{"nginx@sha256:" + strings.ToUpper(hex64), "64 lowercase hex"},
		{"nginx@md5:" + hex64, "algorithm \"md5\""},
		{"nginx@" + hex64, "no algorithm"},
		{"nginx:", "tag \"\""},
		{"nginx:-bad", "tag \"-bad\""},
		{"nginx:" + strings.Repeat("a", 129), "is not valid"},
		{"a//b", "component \"\""},
		{"/nginx", "component \"\""},
		{"nginx/", "component \"\""},
		{"a..b", "component \"a..b\""},
		{"host:port:99/img", "registry"},
		{"ghcr.io/acme api", "component"},
		{"img@sha256:" + hex64 + "@sha256:" + hex64, "64 lowercase hex"},
		{"ghcr.io/" + strings.Repeat("a", 256), "longer than"},
		{strings.Repeat("a", 240), "longer than"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %v, want one containing %q", tt.in, err, tt.want)
		}
	}
}

func TestAllowed(t *testing.T) {
	tests := []struct {
		image string
		list  []string
		want  bool
	}{
		{"nginx:1", []string{"docker.io/library"}, true},
		{"nginx:1", []string{"docker.io"}, true},
		{"nginx:1", []string{"index.docker.io"}, true},
		{"someone/tool", []string{"docker.io/library"}, false},
		{"ghcr.io/acme/api", []string{"ghcr.io/acme"}, true},
		{"ghcr.io/acme-evil/api", []string{"ghcr.io/acme"}, false},
		{"ghcr.io/acme", []string{"ghcr.io/acme/"}, true},
		{"registry:5000/img", []string{"registry"}, false},
		{"registry:5000/img", []string{"registry:5000"}, true},
		{"quay.io/x/y", nil, false},
	}
	for _, tt := range tests {
		r, err := Parse(tt.image)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Allowed(tt.list); got != tt.want {
			t.Errorf("%q allowed by %v = %v, want %v", tt.image, tt.list, got, tt.want)
		}
	}
}

func TestLatestAndPinned(t *testing.T) {
	tests := []struct {
		in             string
		latest, pinned bool
	}{
		{"nginx", true, false},
		{"nginx:latest", true, false},
		{"nginx:1.27", false, false},
		{"registry:5000/img", true, false},
		{"img@sha256:" + hex64, false, true},
		{"img:latest@sha256:" + hex64, true, true},
		{"img:1@sha256:" + hex64, false, true},
	}
	for _, tt := range tests {
		r, err := Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if r.Latest() != tt.latest || r.Pinned() != tt.pinned {
			t.Errorf("%q: latest %v pinned %v, want %v %v", tt.in, r.Latest(), r.Pinned(), tt.latest, tt.pinned)
		}
	}
}

// FuzzParse checks that parsing never panics, that a parsed reference
// renders to a string that parses back to the same reference, and that the
// strict parse agrees with the lexical split.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"nginx", "registry:5000/img", "img@sha256:" + hex64, "ghcr.io/a/b:1@sha256:" + hex64, "Nginx", "a:b:c", "@", ":", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		p := Split(s)
		if err != nil {
			return
		}
		back, err := Parse(r.String())
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", s, r.String(), err)
		}
		back.TagWritten = r.TagWritten
		if back != r {
			t.Fatalf("round trip of %q: %+v != %+v", s, back, r)
		}
		if p.HasTag != r.TagWritten || p.HasDigest != (r.Digest != "") {
			t.Fatalf("%q: split %+v disagrees with parse %+v", s, p, r)
		}
		if !strings.HasSuffix(r.Name(), "/"+strings.TrimPrefix(r.Repository, "library/")) && !strings.HasSuffix(r.Name(), r.Repository) {
			t.Fatalf("%q: name %q does not end in repository %q", s, r.Name(), r.Repository)
		}
	})
}
