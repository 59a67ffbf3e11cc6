package checks

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// hardcodedCredential reports literal credentials written into manifests: in
// env[].value of any container and in ConfigMap data (whole values, and the
// key/value lines of configuration files held in them). A value is reported
// when it has the shape of a known token format (cloud keys, VCS and chat
// tokens, private keys, JWTs, URLs with a password), or when its name says it
// is a credential and the value is a real literal (not empty, not a
// placeholder, a reference or a file path), or when a credential-named value
// is a long high-entropy string. The value itself is never printed.
var hardcodedCredential = &Check{
	ID:       "hardcoded-credential",
	Category: finding.CategorySecrets,
	Severity: finding.SeverityCritical,
	Summary:  "Literal credential in a container environment variable or a ConfigMap",
	Doc: "Inspects env[].value of every container (init and ephemeral included) and every ConfigMap data " +
		"value, including key/value lines of configuration files stored in a ConfigMap. Reported: values in a " +
		"known token format (AWS access keys, GitHub/GitLab/Slack/Stripe/Google tokens, private key blocks, JWTs, " +
		"URLs with an embedded password); values whose name says credential (password, secret, token, api key, " +
		"private key...) holding a literal that is not empty, a placeholder, a $(VAR) reference or a file path. " +
		"Manifests live in Git and ConfigMaps are readable by far more identities than Secrets.",
	Remediation: "Move the value to a Secret (better: an external secret store synced into one), rotate the " +
		"exposed credential, and mount the Secret as a file in the pod.",
	References: []string{"CIS Kubernetes Benchmark 5.4.1", "NSA/CISA Kubernetes Hardening Guide: Secrets", "MITRE ATT&CK T1552.001"},
	Engine:     EngineGo,
	Kinds:      append(inventory.WorkloadKinds(), inventory.KindConfigMap),
	Run:        runHardcodedCredential,
}

func runHardcodedCredential(p *Pass, o *inventory.Object) {
	if o.GK == inventory.KindConfigMap {
		data := inventory.MapAt(o.Content, "data")
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, _ := data[k].(string)
			if why := credentialIn(k, v); why != "" {
				p.Report(Location{Path: inventory.Join("data", k), Message: fmt.Sprintf("ConfigMap key %q %s", k, why)})
			}
		}
		return
	}
	t, ok := o.PodTemplateOf()
	if !ok {
		return
	}
	for _, c := range t.Containers() {
		env, _ := c.Spec["env"].([]any)
		for i, e := range env {
			m, _ := e.(map[string]any)
			name, _ := m["name"].(string)
			value, ok := m["value"].(string)
			if !ok {
				continue
			}
			if why := credentialIn(name, value); why != "" {
				p.Report(Location{Path: inventory.Join(c.Path, "env", i, "value"), Container: c.Name,
					Message: fmt.Sprintf("env %s of container %q %s", name, c.Name, why)})
			}
		}
	}
}

// credentialIn explains why value (named name) is a literal credential, or
// returns "". Multi-line values are read as configuration files.
func credentialIn(name, value string) string {
	if kind := knownTokenFormat(value); kind != "" {
		return "holds a literal " + kind
	}
	if strings.Contains(value, "\n") {
		for _, line := range strings.Split(value, "\n") {
			k, v, ok := splitConfigLine(line)
			if ok && credentialName(k) && literalCredential(v) {
				return fmt.Sprintf("holds a configuration file with a literal credential in %q", k)
			}
		}
		return ""
	}
	if credentialName(name) && literalCredential(value) {
		if highEntropy(value) {
			return "holds a literal high-entropy credential"
		}
		return "holds a literal credential"
	}
	// Names like SIGNING_KEY or ENCRYPTION_KEY are too vague on their own;
	// with a random-looking value they are keys.
	if strings.Contains(strings.ToLower(name), "key") && randomToken(value) {
		return "holds a literal high-entropy key"
	}
	return ""
}

// randomToken reports long random-looking literals: high entropy, mixed
// character classes, no spaces, not a path or URL. Hex digests stay below the
// threshold (16 symbols give at most 4 bits per character).
func randomToken(v string) bool {
	if len(v) < 32 || strings.ContainsAny(v, " \t/:") || !highEntropyOver(v, 4.5) {
		return false
	}
	var upper, lower, digit bool
	for _, r := range v {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		}
	}
	return upper && lower && digit
}

// tokenFormats are credential formats recognisable by shape. hint is a
// literal every match contains, checked first: most values contain none, and
// a substring search is far cheaper than a regular expression.
var tokenFormats = []struct {
	kind, hint string
	re         *regexp.Regexp
}{
	{"private key", "PRIVATE KEY-----", regexp.MustCompile(`-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----`)},
	{"AWS access key id", "AKIA", regexp.MustCompile(`\bAKIA[0-9A-Z]{16}\b`)},
	{"AWS access key id", "ASIA", regexp.MustCompile(`\bASIA[0-9A-Z]{16}\b`)},
	{"GitHub token", "_", regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})\b`)},
	{"GitLab token", "glpat-", regexp.MustCompile(`\bglpat-[A-Za-z0-9_-]{20,}\b`)},
	{"Slack token", "xox", regexp.MustCompile(`\bxox[abposr]-[A-Za-z0-9-]{10,}\b`)},
	{"Stripe secret key", "k_live_", regexp.MustCompile(`\b[sr]k_live_[A-Za-z0-9]{20,}\b`)},
	{"Google API key", "AIza", regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}\b`)},
	{"JSON Web Token", "eyJ", regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}`)},
	{"URL with an embedded password", "://", regexp.MustCompile(`\b[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@$]{3,}@[^\s/]+`)},
}

func knownTokenFormat(v string) string {
	if len(v) < 16 {
		return ""
	}
	for _, f := range tokenFormats {
		if !strings.Contains(v, f.hint) {
			continue
		}
		if f.re.MatchString(v) {
			if f.kind == "URL with an embedded password" && urlPasswordIsPlaceholder(v) {
				continue
			}
			return f.kind
		}
	}
	return ""
}

var urlPassword = regexp.MustCompile(`://[^/\s:@]+:([^/\s@]+)@`)

func urlPasswordIsPlaceholder(v string) bool {
	m := urlPassword.FindStringSubmatch(v)
	return m == nil || !literalCredential(m[1])
}

// credentialWords are name fragments that mark a value as a credential.
var credentialWords = []string{"password", "passwd", "pwd", "secret", "token", "apikey", "api_key", "api-key",
	"accesskey", "access_key", "access-key", "privatekey", "private_key", "private-key", "credential", "auth_key", "authkey"}

// notCredentialSuffixes name values that point at a credential rather than
// hold one.
var notCredentialSuffixes = []string{"file", "path", "dir", "ref", "name", "key_id", "keyid", "user", "username",
	"url", "uri", "endpoint", "host", "secretname", "length", "ttl", "expiry", "timeout", "enabled", "policy", "type", "mode"}

func credentialName(name string) bool {
	n := strings.ToLower(name)
	hit := false
	for _, w := range credentialWords {
		if strings.Contains(n, w) {
			hit = true
			break
		}
	}
	if !hit {
		return false
	}
	trimmed := strings.TrimRight(n, "_-.")
	for _, s := range notCredentialSuffixes {
		if strings.HasSuffix(trimmed, s) && !strings.HasSuffix(trimmed, "secret") {
			return false
		}
	}
	return true
}

var placeholder = regexp.MustCompile(`^(?:\$\(.*\)|\$\{.*\}|\$[A-Za-z_][A-Za-z0-9_]*|\{\{.*\}\}|<.*>|%.*%|\*+|x+|X+|\.+|-+|_+)$`)

// literalCredential reports whether a value is an actual secret literal.
func literalCredential(v string) bool {
	v = strings.TrimSpace(strings.Trim(strings.TrimSpace(v), `"'`))
	if len(v) < 4 {
		return false
	}
	switch strings.ToLower(v) {
	case "true", "false", "yes", "no", "none", "null", "nil", "enabled", "disabled", "required", "optional",
		"changeme-in-secret", "redacted", "secret", "password", "token":
		return false
	}
	if placeholder.MatchString(v) || strings.HasPrefix(v, "/") || strings.HasPrefix(v, "file:") ||
		strings.HasPrefix(v, "vault:") || strings.HasPrefix(v, "ref+") || strings.HasPrefix(v, "arn:") {
		return false
	}
	if strings.Contains(v, "$(") || strings.Contains(v, "${") {
		return false
	}
	return true
}

// splitConfigLine reads "key: value", "key = value" and "key=value" lines
// of configuration files (YAML, INI, properties, dotenv).
func splitConfigLine(line string) (key, value string, ok bool) {
	line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "export "))
	if line == "" || line[0] == '#' || line[0] == ';' {
		return "", "", false
	}
	i := strings.IndexAny(line, ":=")
	if i <= 0 {
		return "", "", false
	}
	key = strings.Trim(strings.TrimSpace(line[:i]), `"'`)
	value = strings.TrimSpace(line[i+1:])
	if j := strings.Index(value, " #"); j >= 0 {
		value = strings.TrimSpace(value[:j])
	}
	if strings.ContainsAny(key, " \t") || value == "" {
		return "", "", false
	}
	return key, value, true
}

// highEntropy reports random-looking strings (Shannon entropy per character),
// used to word the message: a long random literal is almost surely live.
func highEntropy(v string) bool { return len(v) >= 20 && highEntropyOver(v, 4.0) }

func highEntropyOver(v string, bits float64) bool {
	var freq [256]int
	for i := 0; i < len(v); i++ {
		freq[v[i]]++
	}
	h := 0.0
	for _, n := range freq {
		if n > 0 {
			p := float64(n) / float64(len(v))
			h -= p * math.Log2(p)
		}
	}
	return h >= bits
}
