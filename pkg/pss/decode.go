package pss

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kharden/kharden/internal/jsonfield"
	"github.com/kharden/kharden/pkg/inventory"
)

// decodedPod is the typed pod the library's checks take.
type decodedPod struct {
	meta metav1.ObjectMeta
	spec corev1.PodSpec
}

// decode converts the unstructured template with the API machinery's own
// converter. When a field has the wrong type (a string where an integer
// belongs, a boolean env value), the converter refuses the whole object;
// the pod is then decoded leniently, dropping only the ill-typed fields, and
// the error names those fields and the types they should have had. Values
// never appear in the error: they may be secrets.
func (p *decodedPod) decode(meta, spec map[string]any, specPath string) (err error) {
	defer func() {
		// The converter works by reflection over arbitrary input; a panic in
		// it must not take the scan down.
		if r := recover(); r != nil {
			p.meta, p.spec = metav1.ObjectMeta{}, corev1.PodSpec{}
			err = errors.New("pod template could not be decoded for Pod Security Standards")
		}
	}()
	if p.fastDecode(meta, spec) {
		return nil
	}
	p.meta, p.spec = metav1.ObjectMeta{}, corev1.PodSpec{}
	meta, spec = pruneMeta(meta), pruneSpec(spec)
	conv := runtime.DefaultUnstructuredConverter
	metaErr := error(nil)
	if meta != nil {
		metaErr = conv.FromUnstructured(meta, &p.meta)
	}
	specErr := conv.FromUnstructured(spec, &p.spec)
	if metaErr == nil && specErr == nil {
		return nil
	}
	var problems []string
	if metaErr != nil {
		p.meta = metav1.ObjectMeta{}
		problems = append(problems, lenientDecode(meta, &p.meta, metaPath(specPath))...)
	}
	if specErr != nil {
		p.spec = corev1.PodSpec{}
		problems = append(problems, lenientDecode(spec, &p.spec, specPath)...)
	}
	if len(problems) == 0 {
		problems = []string{"a field the Kubernetes types cannot hold"}
	}
	return &DecodeError{Fields: problems}
}

// metaPath is the path of the template metadata beside a pod spec path:
// "spec.template.spec" -> "spec.template.metadata", "spec" -> "metadata".
func metaPath(specPath string) string {
	if specPath == "spec" || specPath == "" {
		return "metadata"
	}
	return strings.TrimSuffix(specPath, ".spec") + ".metadata"
}

// DecodeError lists the fields of a pod template that could not be read
// because their values have the wrong type. It never holds the values.
type DecodeError struct {
	// Fields are field paths in the object, each with the type it should
	// have had: "spec.template.spec.volumes[0].fc.lun (want integer)".
	Fields []string
}

func (e *DecodeError) Error() string {
	return "fields with the wrong type were ignored: " + strings.Join(e.Fields, ", ")
}

// lenientDecode sanitises the unstructured value against the target type,
// dropping ill-typed fields, then decodes what is left.
func lenientDecode(in map[string]any, out any, root string) []string {
	var problems []string
	clean := sanitize(in, reflect.TypeOf(out).Elem(), root, &problems)
	m, _ := clean.(map[string]any)
	if m == nil {
		return problems
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, out); err == nil {
		return problems
	}
	// Belt and braces: encoding/json keeps every field it can and only
	// skips the ones it cannot store.
	data, err := json.Marshal(m)
	if err != nil {
		return append(problems, root+" (could not be re-encoded)")
	}
	if err := json.Unmarshal(data, out); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			problems = append(problems, fmt.Sprintf("%s.%s (want %s)", root, te.Field, te.Type))
		} else {
			problems = append(problems, root+" (partly unreadable)")
		}
	}
	return problems
}

var jsonUnmarshaler = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()

// dropped marks a value sanitize removed.
type droppedValue struct{}

var dropped = droppedValue{}

// sanitize returns v with every value that does not fit type t removed,
// recording the path of each removal and the type it wanted.
func sanitize(v any, t reflect.Type, path string, problems *[]string) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return nil
	}
	bad := func(want string) any {
		*problems = append(*problems, fmt.Sprintf("%s (want %s)", path, want))
		return dropped
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		// Quantity, IntOrString, Time...: accept what their own decoder accepts.
		data, err := json.Marshal(v)
		if err != nil || json.Unmarshal(data, reflect.New(t).Interface()) != nil {
			return bad(typeName(t))
		}
		return v
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return bad("object")
		}
		fields := jsonfield.Fields(t)
		out := make(map[string]any, len(m))
		for _, k := range sortedKeys(m) {
			ft, known := fields[k]
			if !known {
				continue // unknown fields are ignored by the converter too
			}
			if c := sanitize(m[k], ft, inventory.Join(path, k), problems); c != dropped {
				out[k] = c
			}
		}
		return out
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return bad("object")
		}
		out := make(map[string]any, len(m))
		for _, k := range sortedKeys(m) {
			if c := sanitize(m[k], t.Elem(), inventory.Join(path, k), problems); c != dropped {
				out[k] = c
			}
		}
		return out
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			if _, ok := v.(string); !ok {
				return bad("base64 string")
			}
			return v
		}
		l, ok := v.([]any)
		if !ok {
			return bad("list")
		}
		out := make([]any, 0, len(l))
		for i, e := range l {
			if c := sanitize(e, t.Elem(), inventory.Join(path, i), problems); c != dropped {
				out = append(out, c)
			}
		}
		return out
	case reflect.String:
		if _, ok := v.(string); !ok {
			return bad("string")
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return bad("boolean")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if !isInteger(v) {
			return bad("integer")
		}
	case reflect.Float32, reflect.Float64:
		switch v.(type) {
		case int, int32, int64, float32, float64:
		default:
			return bad("number")
		}
	}
	return v
}

func isInteger(v any) bool {
	switch n := v.(type) {
	case int, int32, int64, uint, uint32, uint64:
		return true
	case float64:
		return n == math.Trunc(n) && !math.IsInf(n, 0)
	}
	return false
}

func typeName(t reflect.Type) string {
	switch t.Name() {
	case "Quantity":
		return "quantity"
	case "IntOrString":
		return "integer or string"
	case "Time", "MicroTime":
		return "timestamp"
	}
	return t.Name()
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// applyDefaults sets the API server defaults that change what the PSA checks
// see, so that an offline manifest is judged as the stored pod would be:
//
//   - a volume with no source becomes an emptyDir (SetDefaults_Volume);
//   - with hostNetwork, a container port's hostPort defaults to its
//     containerPort. Since Kubernetes 1.28 the server does this for Pods only,
//     not for pod templates, but every pod a controller creates from the
//     template gets it, and those pods are what admission enforces: kharden
//     judges templates as the pods they make.
func (p *decodedPod) applyDefaults() {
	for i := range p.spec.Volumes {
		if p.spec.Volumes[i].VolumeSource == (corev1.VolumeSource{}) {
			p.spec.Volumes[i].EmptyDir = &corev1.EmptyDirVolumeSource{}
		}
	}
	if p.spec.HostNetwork {
		defaultHostPorts(p.spec.Containers)
		defaultHostPorts(p.spec.InitContainers)
	}
}

func defaultHostPorts(cs []corev1.Container) {
	for i := range cs {
		for j := range cs[i].Ports {
			if cs[i].Ports[j].HostPort == 0 {
				cs[i].Ports[j].HostPort = cs[i].Ports[j].ContainerPort
			}
		}
	}
}
