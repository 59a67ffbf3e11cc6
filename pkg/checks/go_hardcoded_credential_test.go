package checks

import (
	"strings"
	"testing"
)

func TestCredentialIn(t *testing.T) {
	tests := []struct {
		name, value string
		hit         bool
	}{
		{"DB_PASSWORD", "hunter2-long", true},
		{"DB_PASSWORD", "", false},
		{"DB_PASSWORD", "$(DB_PASSWORD)", false},
		{"DB_PASSWORD", "${DB_PASSWORD}", false},
		{"DB_PASSWORD", "<set-me>", false},
		{"DB_PASSWORD_FILE", "/run/secrets/pw", false},
		{"DB_PASSWORD_FILE", "hunter2-long", false},
		{"SECRET_NAME", "db-credentials", false},
		{"TOKEN_TTL", "3600s", false},
		{"AUTH_ENABLED", "true", false},
		{"ANYTHING", "AKIAIOSFODNN7EXAMPLE", true},
		{"ANYTHING", "ghp_" + strings.Repeat("a1B2", 9), true},
		{"ANYTHING", "-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----", true},
		{"ANYTHING", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlX3ZhbHVl", true},
		{"DATABASE_URL", "postgres://app:Pa55w0rd@db:5432/app", true},
		{"DATABASE_URL", "postgres://app:$(DB_PASSWORD)@db:5432/app", false},
		{"DATABASE_URL", "postgres://db:5432/app", false},
		{"IMAGE_DIGEST", "sha256:3b5d5c3712955042212316173ccf37be800b9a7a3b5d5c3712955042212316", false},
		{"SIGNING_KEY", "9fQ2xLr7TzW4kVb8Np3HsY6dJm1Ca5Ue0GtRo", true},
		{"CACHE_KEY_PREFIX", "app-cache", false},
		{"config.yaml", "server:\n  port: 8080\nauth:\n  password: Zk8rTq2mWx\n", true},
		{"config.yaml", "server:\n  port: 8080\nauth:\n  passwordFile: /etc/pw\n", false},
		{"config.ini", "[db]\npassword = ${DB_PASSWORD}\n", false},
	}
	for _, tt := range tests {
		why := credentialIn(tt.name, tt.value)
		if (why != "") != tt.hit {
			t.Errorf("credentialIn(%q, %q) = %q, want hit=%v", tt.name, tt.value, why, tt.hit)
		}
		if why != "" && strings.Contains(why, tt.value) {
			t.Errorf("message %q repeats the secret value", why)
		}
	}
}
