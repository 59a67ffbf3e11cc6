// Package imageref parses container image references the way a container
// runtime reads them: [registry[:port]/]path[:tag][@digest].
//
// Unlike a plain normalising parser it keeps what was written: whether a tag
// was given at all matters to the image-latest-tag rule, because an image
// without a tag runs whatever "latest" points to at pull time.
package imageref

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// DockerHub is the registry of references that name none.
const DockerHub = "docker.io"

// dockerHubAliases are hosts that mean Docker Hub.
var dockerHubAliases = map[string]bool{"index.docker.io": true, "registry-1.docker.io": true}

// DigestSHA256 is the only digest algorithm that pins an image here: it is the
// one registries and runtimes universally accept.
const DigestSHA256 = "sha256"

// Reference is a parsed image reference.
type Reference struct {
	// Registry is the host[:port] the image is pulled from; DockerHub when the
	// reference names none.
	Registry string
	// Repository is the path inside the registry, with "library/" added for
	// single-name Docker Hub images ("nginx" -> "library/nginx").
	Repository string
	// Tag is the tag as written, or "latest" when neither a tag nor a digest
	// was written (what the runtime pulls); "" when only a digest was given.
	Tag string
	// TagWritten reports whether the reference spelled a tag out.
	TagWritten bool
	// Digest is "sha256:<64 hex>" when the reference is pinned, else "".
	Digest string
}

// Name returns registry/repository, e.g. "docker.io/library/nginx".
func (r Reference) Name() string { return r.Registry + "/" + r.Repository }

// Pinned reports whether the reference names content by digest.
func (r Reference) Pinned() bool { return r.Digest != "" }

// Latest reports whether the image floats on the "latest" tag: the tag
// "latest" was written, or neither a tag nor a digest was.
func (r Reference) Latest() bool {
	return r.Tag == "latest"
}

// String renders the normalised reference; Parse(r.String()) gives back r
// except for TagWritten, which becomes true when Tag was implied.
func (r Reference) String() string {
	s := r.Name()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// Allowed reports whether the reference's registry/repository starts with one
// of the allowlist entries: a registry host ("ghcr.io") or a repository prefix
// ("ghcr.io/acme", "docker.io/library"), matched at path boundaries.
// Entries are normalised as by NormalizeAllowlistEntry.
func (r Reference) Allowed(allowlist []string) bool {
	full := r.Name()
	for _, e := range allowlist {
		e = NormalizeAllowlistEntry(e)
		if e == "" {
			continue
		}
		if full == e || strings.HasPrefix(full, e+"/") {
			return true
		}
	}
	return false
}

// NormalizeAllowlistEntry trims an allowlist entry and its trailing slashes,
// and spells Docker Hub's aliases as DockerHub.
func NormalizeAllowlistEntry(e string) string {
	e = strings.TrimRight(strings.TrimSpace(e), "/")
	host, rest, _ := strings.Cut(e, "/")
	if dockerHubAliases[host] {
		if rest == "" {
			return DockerHub
		}
		return DockerHub + "/" + rest
	}
	return e
}

// ErrInvalid is wrapped by every parse error.
var ErrInvalid = errors.New("invalid image reference")

var (
	// pathComponent is one segment of a repository path as the distribution
	// grammar defines it: lowercase alphanumerics joined by '.', '_', '__' or
	// runs of '-'.
	pathComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
	tagPattern    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	hexPattern    = regexp.MustCompile(`^[a-f0-9]{64}$`)
	// hostPattern is a DNS name or bracketed IPv6 address with an optional
	// numeric port; url.Parse alone accepts "host:port:99".
	hostPattern = regexp.MustCompile(`^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::[0-9]+)?$`)
)

const maxNameLength = 255

// Parse reads an image reference. It fails on references a runtime would
// refuse: an uppercase or empty repository, a malformed tag, a digest that is
// not sha256 with 64 lowercase hex digits, an invalid registry host.
func Parse(s string) (Reference, error) {
	bad := func(format string, args ...any) (Reference, error) {
		return Reference{}, fmt.Errorf("%w %q: %s", ErrInvalid, s, fmt.Sprintf(format, args...))
	}
	if s == "" {
		return bad("empty")
	}
	parts := Split(s)
	var ref Reference
	if parts.HasDigest {
		algo, hex, ok := strings.Cut(parts.Digest, ":")
		if !ok {
			return bad("digest %q has no algorithm", parts.Digest)
		}
		if algo != DigestSHA256 {
			return bad("digest algorithm %q is not %s", algo, DigestSHA256)
		}
		if !hexPattern.MatchString(hex) {
			return bad("digest must be 64 lowercase hex digits")
		}
		ref.Digest = parts.Digest
	}
	if parts.HasTag {
		if !tagPattern.MatchString(parts.Tag) {
			return bad("tag %q is not valid", parts.Tag)
		}
		ref.Tag, ref.TagWritten = parts.Tag, true
	} else if !parts.HasDigest {
		ref.Tag = "latest"
	}
	if parts.Registry != "" {
		// go-containerregistry checks the host is an RFC 3986 authority.
		if _, err := name.NewRegistry(parts.Registry, name.StrictValidation); err != nil || !hostPattern.MatchString(parts.Registry) {
			return bad("registry %q is not a valid host[:port]", parts.Registry)
		}
	}
	ref.Registry = NormalizeRegistry(parts.Registry)
	for _, c := range strings.Split(parts.Path, "/") {
		if !pathComponent.MatchString(c) {
			return bad("repository component %q must be lowercase letters and digits joined by '.', '_' or '-'", c)
		}
	}
	ref.Repository = parts.Path
	if ref.Registry == DockerHub && !strings.Contains(ref.Repository, "/") {
		ref.Repository = "library/" + ref.Repository
	}
	// The limit applies to the full normalised name, so that String()
	// parses back.
	if len(ref.Name()) > maxNameLength {
		return bad("name longer than %d characters", maxNameLength)
	}
	return ref, nil
}

// NormalizeRegistry maps "" and Docker Hub's aliases to DockerHub.
func NormalizeRegistry(host string) string {
	if host == "" || dockerHubAliases[host] {
		return DockerHub
	}
	return host
}

// Parts is the lexical split of a reference, before any validation; it is
// what the CEL guardrails compute with string functions, so both agree.
type Parts struct {
	Registry  string // the first path component when it is a host, else ""
	Path      string // the repository path as written (no "library/" added)
	Tag       string
	HasTag    bool
	Digest    string // after the first '@'
	HasDigest bool
}

// Split cuts a reference at its first '@' (digest), at the last ':' after the
// last '/' of what precedes it (tag), and at the first '/' when the component
// before it contains '.' or ':' or is "localhost" (registry; so a host:port is
// never read as a tag).
func Split(s string) Parts {
	var p Parts
	nameTag := s
	if i := strings.IndexByte(s, '@'); i >= 0 {
		nameTag, p.Digest, p.HasDigest = s[:i], s[i+1:], true
	}
	repo := nameTag
	if i := strings.LastIndexByte(nameTag, ':'); i > strings.LastIndexByte(nameTag, '/') {
		repo, p.Tag, p.HasTag = nameTag[:i], nameTag[i+1:], true
	}
	p.Path = repo
	if first, rest, ok := strings.Cut(repo, "/"); ok && (first == "localhost" || strings.ContainsAny(first, ".:")) {
		p.Registry, p.Path = first, rest
	}
	return p
}
