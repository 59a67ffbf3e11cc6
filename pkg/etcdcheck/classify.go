package etcdcheck

import (
	"bytes"
	"strings"
)

// Storage is how one value is stored.
type Storage struct {
	// Provider is "provider:key" for an encryption envelope (e.g.
	// "aescbc:key1", "kms:v2:vault"), PlaintextProvider or UnknownProvider.
	Provider  string
	Plaintext bool
}

// envelopes are the value prefixes the API server's encryption providers
// write, each followed by "KEYNAME:" and the ciphertext. The version of
// kms is kept in the provider name since v1 and v2 differ in safety.
var envelopes = []struct{ prefix, provider string }{
	{"k8s:enc:aescbc:v1:", "aescbc"},
	{"k8s:enc:aesgcm:v1:", "aesgcm"},
	{"k8s:enc:secretbox:v1:", "secretbox"},
	{"k8s:enc:kms:v1:", "kms:v1"},
	{"k8s:enc:kms:v2:", "kms:v2"},
}

// protobufMagic starts every object the API server stores as protobuf.
var protobufMagic = []byte("k8s\x00")

// maxKeyName bounds the key name read from an envelope; a longer "name" is
// not an envelope the API server wrote.
const maxKeyName = 253

// Classify tells from a stored value's first bytes how it is stored:
// encrypted (provider and key name), plaintext (a protobuf or JSON
// object) or unknown. It reads only the prefix and keeps nothing.
func Classify(value []byte) Storage {
	for _, e := range envelopes {
		if !bytes.HasPrefix(value, []byte(e.prefix)) {
			continue
		}
		rest := value[len(e.prefix):]
		if len(rest) > maxKeyName+1 {
			rest = rest[:maxKeyName+1]
		}
		i := bytes.IndexByte(rest, ':')
		if i <= 0 || !printable(rest[:i]) {
			return Storage{Provider: UnknownProvider}
		}
		return Storage{Provider: e.provider + ":" + string(rest[:i])}
	}
	if bytes.HasPrefix(value, protobufMagic) {
		return Storage{Provider: PlaintextProvider, Plaintext: true}
	}
	if t := bytes.TrimLeft(value, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return Storage{Provider: PlaintextProvider, Plaintext: true}
	}
	return Storage{Provider: UnknownProvider}
}

// printable reports whether a key name is plain ASCII without spaces, so
// that names are safe to print in a terminal.
func printable(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// ResourceOf returns the resource type of an etcd key under prefix:
// "/registry/secrets/NS/NAME" is "secrets", and a first segment with a dot
// is an API group ("/registry/apiregistration.k8s.io/apiservices/NAME" is
// "apiservices.apiregistration.k8s.io"). Keys not under prefix are "".
func ResourceOf(prefix, key string) string {
	rest, ok := strings.CutPrefix(key, strings.TrimSuffix(prefix, "/")+"/")
	if !ok {
		return ""
	}
	parts := strings.Split(rest, "/")
	if len(parts) >= 3 && strings.Contains(parts[0], ".") && parts[1] != "" {
		return parts[1] + "." + parts[0]
	}
	return parts[0]
}
