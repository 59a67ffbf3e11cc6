package controlplane

import (
	"reflect"
	"testing"
)

func args(words ...string) []Arg {
	out := make([]Arg, len(words))
	for i, w := range words {
		out[i] = Arg{Text: w, Line: i + 1}
	}
	return out
}

func TestParseFlags(t *testing.T) {
	fs, warns := ParseFlags(args("--a=1", "--b", "2", "--profiling", "--c", "--a=3", "stray", "--d=x=y", "-v=2", "--e"), componentBoolFlags)
	want := Flags{
		{Name: "a", Value: "1", HasValue: true, Line: 1},
		{Name: "b", Value: "2", HasValue: true, Line: 2},
		{Name: "profiling", Line: 4},
		{Name: "c", Line: 5},
		{Name: "a", Value: "3", HasValue: true, Line: 6},
		{Name: "d", Value: "x=y", HasValue: true, Line: 8},
		{Name: "v", Value: "2", HasValue: true, Line: 9},
		{Name: "e", Line: 10},
	}
	if !reflect.DeepEqual(fs, want) {
		t.Errorf("got %+v\nwant %+v", fs, want)
	}
	if len(warns) != 1 {
		t.Errorf("warnings %v, want one for the stray word", warns)
	}
	if f, _ := fs.Get("a"); f.Value != "3" {
		t.Errorf("Get returns %q, want the last value", f.Value)
	}
	if on, _, err := fs.Bool("profiling", false); !on || err != nil {
		t.Errorf("bare bool flag: %v %v", on, err)
	}
	if on, _, err := fs.Bool("missing", true); !on || err != nil {
		t.Errorf("default: %v %v", on, err)
	}
	if _, _, err := fs.Bool("b", false); err == nil {
		t.Errorf("--b=2 parsed as a boolean")
	}
	bad, _ := ParseFlags(args("--profiling", "false"), componentBoolFlags)
	if on, _, _ := bad.Bool("profiling", false); !on {
		t.Errorf("--profiling false: the word false must not be taken as the value, as pflag does")
	}
}

func TestFlagsList(t *testing.T) {
	fs, _ := ParseFlags(args("--enable-admission-plugins=A,B", "--enable-admission-plugins", "C, D"), nil)
	got, last := fs.List("enable-admission-plugins")
	if !reflect.DeepEqual(got, []string{"A", "B", "C", "D"}) || last.Line != 2 {
		t.Errorf("got %v line %d", got, last.Line)
	}
}

func TestKubeletArgs(t *testing.T) {
	data := []byte(`# comment
KUBELET_EXTRA_ARGS="--read-only-port=10255 --anonymous-auth=false"
[Service]
Environment="KUBELET_KUBEADM_ARGS=--authorization-mode=AlwaysAllow"
ExecStart=/usr/bin/kubelet $KUBELET_KUBEADM_ARGS --config=/var/lib/kubelet/config.yaml
/usr/bin/kubelet --v 2
`)
	var got []string
	for _, a := range KubeletArgs(data) {
		got = append(got, a.Text)
	}
	want := []string{"--read-only-port=10255", "--anonymous-auth=false", "--authorization-mode=AlwaysAllow",
		"--config=/var/lib/kubelet/config.yaml", "--v", "2"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
