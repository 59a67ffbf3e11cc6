package network

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// maxNameLength keeps generated names readable and well under the API
// server's 253 characters for a NetworkPolicy name.
const maxNameLength = 120

// policyName joins parts into a valid object name: lower-case letters,
// digits and '-', never two '-' in a row, at most maxNameLength long.
func policyName(parts ...string) string {
	var b strings.Builder
	dash := false
	for _, part := range parts {
		for _, r := range strings.ToLower(part) {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				b.WriteRune(r)
				dash = false
			} else if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	name := strings.Trim(b.String(), "-")
	if name == "" {
		name = "policy"
	}
	return truncateName(name)
}

// truncateName shortens a name over maxNameLength, keeping it unique with
// a hash of the whole.
func truncateName(name string) string {
	if len(name) <= maxNameLength {
		return name
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return strings.TrimRight(name[:maxNameLength-9], "-") + fmt.Sprintf("-%08x", h.Sum32())
}
