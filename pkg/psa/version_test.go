package psa

import (
	"fmt"
	"strings"
	"testing"

	api "k8s.io/pod-security-admission/api"
)

func TestForServer(t *testing.T) {
	newest, err := PinnedVersion("latest")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := api.ParseVersion(newest)
	newer := fmt.Sprintf("v%d.%d.1", v.Major(), v.Minor()+1)
	tests := []struct {
		requested, server, want, note string
	}{
		{"latest", "v1.30.2", "v1.30", ""},
		{"", "v1.30.2-eks-1552ad0", "v1.30", ""},
		{"latest", newest + ".0", newest, ""},
		{"latest", newer, newest, "newer than the Pod Security Standards kharden knows"},
		{"v1.25", "v1.30.2", "v1.25", ""},
		{newest, "v1.30.2", newest, "evaluates " + newest + " labels as its latest (v1.30)"},
		{"latest", "not-a-version", newest, "cannot read"},
	}
	for _, tt := range tests {
		got, note, err := ForServer(tt.requested, tt.server)
		if err != nil {
			t.Errorf("ForServer(%q, %q): %v", tt.requested, tt.server, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ForServer(%q, %q) = %q, want %q", tt.requested, tt.server, got, tt.want)
		}
		if (tt.note == "") != (note == "") || !strings.Contains(note, tt.note) {
			t.Errorf("ForServer(%q, %q) note %q, want %q", tt.requested, tt.server, note, tt.note)
		}
	}
	if _, _, err := ForServer("v2.0", "v1.30.0"); err == nil {
		t.Error("an unknown requested version was accepted")
	}
}
