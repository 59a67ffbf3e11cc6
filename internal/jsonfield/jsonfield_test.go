package jsonfield

import (
	"reflect"
	"sort"
	"testing"
)

type inner struct {
	A string `json:"a"`
	b int
}

type Outer struct {
	inner
	Meta   inner `json:",inline"`
	Named  inner `json:"named"`
	Plain  int
	Hidden string `json:"-"`
	Opt    *bool  `json:"opt,omitempty"`
}

func TestFields(t *testing.T) {
	got := Fields(reflect.TypeFor[Outer]())
	var names []string
	for n := range got {
		names = append(names, n)
	}
	sort.Strings(names)
	want := []string{"Plain", "a", "named", "opt"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("fields %v, want %v", names, want)
	}
	if got["opt"] != reflect.TypeFor[*bool]() || got["named"] != reflect.TypeFor[inner]() {
		t.Errorf("types: %v", got)
	}
}
