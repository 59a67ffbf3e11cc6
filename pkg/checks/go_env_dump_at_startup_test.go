package checks

import "testing"

func TestDumpsEnvironment(t *testing.T) {
	tests := []struct {
		argv []string
		dump bool
	}{
		{[]string{"env"}, true},
		{[]string{"/usr/bin/env", "-0"}, true},
		{[]string{"env", "FOO=bar"}, true},
		{[]string{"env", "FOO=bar", "app"}, false},
		{[]string{"printenv"}, true},
		{[]string{"printenv", "HOME"}, true},
		{[]string{"sh", "-c", "env; exec app"}, true},
		{[]string{"/bin/bash", "-ec", "printenv | sort"}, true},
		{[]string{"sh", "-c", "set"}, true},
		{[]string{"sh", "-c", "set -euo pipefail; exec app"}, false},
		{[]string{"sh", "-c", "export -p > /dev/stdout"}, true},
		{[]string{"sh", "-c", "export PATH=/bin:$PATH; exec app"}, false},
		{[]string{"bash", "-c", "declare -px"}, true},
		{[]string{"sh", "-c", "cat /proc/self/environ"}, true},
		{[]string{"sh", "-c", "strings \"/proc/$$/environ\""}, true},
		{[]string{"busybox", "sh", "-c", "env"}, true},
		{[]string{"sh", "-c", "echo $(env | wc -l) variables"}, true},
		{[]string{"sh", "-c", "( env ) | grep -v SECRET"}, true},
		{[]string{"sh", "/entrypoint.sh"}, false},
		{[]string{"sh", "-c", "echo environment ready"}, false},
		{[]string{"sh", "-c", "if [ \"$X\" = 1 ]; then"}, false}, // does not parse: words only
		{[]string{"python", "-c", "print(1)"}, false},
		{[]string{"sh", "-c"}, false},
		{nil, false},
	}
	for _, tt := range tests {
		got := dumpsEnvironment(tt.argv) != ""
		if got != tt.dump {
			t.Errorf("dumpsEnvironment(%q) = %v, want %v", tt.argv, got, tt.dump)
		}
	}
}
