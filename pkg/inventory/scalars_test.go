package inventory

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"
)

// kubectlValue decodes YAML the way kubectl does: sigs.k8s.io/yaml to JSON,
// then JSON numbers to int64 when integral, else float64.
func kubectlValue(t *testing.T, doc string) (any, error) {
	t.Helper()
	j, err := sigsyaml.YAMLToJSON([]byte(doc))
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return numbers(v), nil
}

func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	}
	return v
}

// TestScalarsLikeKubectl compares scalar resolution, as values and as keys,
// with sigs.k8s.io/yaml (what kubectl uses).
func TestScalarsLikeKubectl(t *testing.T) {
	scalars := []string{
		// booleans, YAML 1.1
		"true", "True", "TRUE", "false", "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
		"y", "Y", "n", "N", "tRue", "yEs",
		// null
		"~", "null", "Null", "NULL", "",
		// integers
		"0", "1", "-1", "+1", "42", "0x1F", "0X1F", "0o17", "017", "08", "09", "0b101", "-0b101", "+0x10", "1_000", "1__0",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", "18446744073709551615", "18446744073709551616",
		"123456789012345678901234567890",
		// floats
		"1.0", "1.5", "-1.5", ".5", "-.5", "+.5", "1.", "1e3", "1E3", "1e+3", "1e-3", "1.5e10", "1e21", "1e20", "-0.0", "0.1",
		"3.14159265358979", "6.02e23", "1_000.5", "1e400",
		// not numbers
		"1.2.3", "1e", "e3", "0x", "0xG", "12:30", "1:20:30", "2001-12-14", "2001-12-14T21:59:43.10-05:00", "v1", "1a", "+", "--1",
		".", "._", "..5", "Infinity", "inf", "NaN", "nan", ".infinity",
		// strings that look like other things
		"'123'", `"true"`, `"0x10"`, "!!str 123", "!!str yes", "!!int 42", "!!float 1", "!!bool true", "!!null ~",
		"|\n  404\n", ">\n  yes\n",
		"<<", `"<<"`,
	}
	for _, s := range scalars {
		doc := "v: " + s + "\n"
		want, err := kubectlValue(t, doc)
		if err != nil {
			t.Errorf("%q: kubectl cannot read it: %v", s, err)
			continue
		}
		objs, diags := ParseDocuments("s.yaml", []byte("apiVersion: v1\nkind: X\n"+doc), OriginFile)
		if len(objs) != 1 || len(diags) != 0 {
			t.Errorf("%q: objects %d, diagnostics %v", s, len(objs), diags)
			continue
		}
		got := objs[0].Content["v"]
		if !reflect.DeepEqual(got, want.(map[string]any)["v"]) {
			t.Errorf("value %q = %#v, kubectl %#v", s, got, want.(map[string]any)["v"])
		}
	}
	// As keys (sigs.k8s.io/yaml rejects null keys; kharden keeps "null").
	for _, s := range scalars {
		if len(s) > 0 && (s[0] == '|' || s[0] == '>') {
			continue
		}
		doc := s + ": x\n"
		want, err := kubectlValue(t, doc)
		if err != nil {
			continue
		}
		objs, _ := ParseDocuments("k.yaml", []byte("apiVersion: v1\nkind: X\n"+doc), OriginFile)
		if len(objs) != 1 {
			t.Errorf("key %q: no object", s)
			continue
		}
		for k := range want.(map[string]any) {
			if _, ok := objs[0].Content[k]; !ok {
				t.Errorf("key %q: kubectl has key %q, kharden %v", s, k, keysOf(objs[0].Content))
			}
		}
	}
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
