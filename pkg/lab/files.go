package lab

import _ "embed"

// auditPolicy records what kharden's detectors read: Secrets and tokens at
// Metadata (never their bodies), RBAC and workload changes with their
// bodies, everything else at Metadata; leases and events, which are only
// noise, not at all.
//
//go:embed files/audit-policy.yaml
var auditPolicy []byte

// encryptionConfigTemplate encrypts Secrets with AES-CBC under one key
// (%s, base64) and keeps identity as the last provider so Secrets written
// before encryption was turned on stay readable — and plaintext in etcd
// until rewritten, which is incident 2.
//
//go:embed files/encryption-config.yaml.tmpl
var encryptionConfigTemplate string
