package testcluster

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// flag is one kube-apiserver flag, name without "--".
type flag struct {
	name   string
	values []string
}

// anonymousHealthOnly lets anonymous requests reach the health endpoints
// only: envtest probes /healthz without credentials, and --anonymous-auth
// =false would make that probe fail (401) forever.
const anonymousHealthOnly = `apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
anonymous:
  enabled: true
  conditions:
  - path: /healthz
  - path: /livez
  - path: /readyz
`

// writeServerFiles writes the configuration files opts ask for into c.Dir
// and returns the kube-apiserver flags naming them, with opts.Flags last
// (they replace earlier flags of the same name). It sets c.AuditLogPath.
func (c *Cluster) writeServerFiles(opts Options) ([]flag, error) {
	var flags []flag
	write := func(name string, data []byte) (string, error) {
		p := filepath.Join(c.Dir, name)
		return p, os.WriteFile(p, data, 0o600)
	}
	if len(opts.AuditPolicy) > 0 {
		p, err := write("audit-policy.yaml", opts.AuditPolicy)
		if err != nil {
			return nil, err
		}
		c.AuditLogPath = filepath.Join(c.Dir, "audit.log")
		flags = append(flags,
			flag{"audit-policy-file", []string{p}},
			flag{"audit-log-path", []string{c.AuditLogPath}},
			flag{"audit-log-format", []string{"json"}},
			flag{"audit-log-maxage", []string{"1"}},
			flag{"audit-log-maxbackup", []string{"1"}},
			flag{"audit-log-maxsize", []string{"100"}},
		)
	}
	if len(opts.AuditWebhookKubeconfig) > 0 {
		if len(opts.AuditPolicy) == 0 {
			return nil, fmt.Errorf("AuditWebhookKubeconfig needs AuditPolicy")
		}
		p, err := write("audit-webhook.kubeconfig", opts.AuditWebhookKubeconfig)
		if err != nil {
			return nil, err
		}
		// Batches, but short ones, so tests see events within a second or
		// two; blocking mode would hold every request on a slow webhook.
		flags = append(flags,
			flag{"audit-webhook-config-file", []string{p}},
			flag{"audit-webhook-mode", []string{"batch"}},
			flag{"audit-webhook-batch-max-wait", []string{"1s"}},
			flag{"audit-webhook-initial-backoff", []string{"1s"}},
		)
	}
	if len(opts.EncryptionConfig) > 0 {
		p, err := write(encryptionConfigFile, opts.EncryptionConfig)
		if err != nil {
			return nil, err
		}
		flags = append(flags, flag{"encryption-provider-config", []string{p}})
	}
	modes := opts.AuthorizationModes
	if len(modes) == 0 {
		modes = []string{"RBAC"}
	}
	flags = append(flags, flag{"authorization-mode", []string{strings.Join(modes, ",")}})

	extra := map[string][]string{}
	for n, v := range opts.Flags {
		extra[strings.TrimPrefix(n, "--")] = v
	}
	_, ownAuthn := extra["authentication-config"]
	_, ownAnon := extra["anonymous-auth"]
	switch {
	case opts.AnonymousAuth && slices.Contains(modes, "AlwaysAllow"):
		// kube-apiserver resets --anonymous-auth to false next to
		// AlwaysAllow, and then never becomes ready to envtest's anonymous
		// probe: refuse rather than hang and leave a process behind.
		return nil, fmt.Errorf("AnonymousAuth with the AlwaysAllow authorizer: kube-apiserver turns anonymous auth off in that combination; enable anonymous access through an AuthenticationConfiguration (Options.Flags[\"authentication-config\"]) instead")
	case opts.AnonymousAuth:
		flags = append(flags, flag{"anonymous-auth", []string{"true"}})
	case !ownAuthn && !ownAnon:
		p, err := write("authentication-config.yaml", []byte(anonymousHealthOnly))
		if err != nil {
			return nil, err
		}
		flags = append(flags, flag{"authentication-config", []string{p}})
	}

	if len(opts.AdmissionPlugins) > 0 {
		flags = append(flags, flag{"enable-admission-plugins", []string{strings.Join(opts.AdmissionPlugins, ",")}})
	}
	// envtest disables ServiceAccount; keep that unless asked for it.
	disable := []string{}
	for _, p := range append([]string{"ServiceAccount"}, opts.DisableAdmissionPlugins...) {
		if !slices.Contains(opts.AdmissionPlugins, p) && !slices.Contains(disable, p) {
			disable = append(disable, p)
		}
	}
	if len(disable) > 0 {
		flags = append(flags, flag{"disable-admission-plugins", []string{strings.Join(disable, ",")}})
	}

	names := make([]string, 0, len(extra))
	for n := range extra {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		flags = append(flags, flag{n, extra[n]})
	}
	return flags, nil
}

// openLogs creates log files in dir.
func openLogs(dir string, names ...string) ([]*os.File, error) {
	var files []*os.File
	for _, n := range names {
		f, err := os.OpenFile(filepath.Join(dir, n), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			for _, g := range files {
				_ = g.Close()
			}
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// tail returns the last n lines of a log file, for failure messages.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return path + ":\n" + strings.Join(lines, "\n")
}
