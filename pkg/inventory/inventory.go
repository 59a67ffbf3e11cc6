package inventory

import (
	"fmt"
	"sort"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/pkg/finding"
)

// Diagnostic is a problem with the input (not a finding): a file that does
// not parse, a document over the size limit, a path that does not exist. It
// never carries content of the input beyond what locates the problem.
type Diagnostic struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
	// Warning diagnostics do not make the run fail (a skipped binary file, an
	// object whose fields have the wrong types but was still scanned).
	Warning bool `json:"warning,omitempty"`
	// NoObjects marks the "no Kubernetes objects found" diagnostic, which
	// callers may waive (scan --allow-empty).
	NoObjects bool `json:"-"`
}

func (d Diagnostic) String() string {
	loc := d.File
	if d.Line > 0 {
		loc = fmt.Sprintf("%s:%d", d.File, d.Line)
	}
	if loc == "" {
		return d.Message
	}
	return loc + ": " + d.Message
}

// Key identifies an object within an inventory.
type Key struct {
	GK        schema.GroupKind
	Namespace string
	Name      string
}

// Inventory is the indexed snapshot every check reads. Build it with a
// Builder; after Build it is read-only and safe for concurrent use.
type Inventory struct {
	Objects     []*Object
	Diagnostics []Diagnostic

	byKind      map[schema.GroupKind][]*Object
	byKey       map[Key][]*Object
	byNamespace map[string][]*Object
	// workloads by the ServiceAccount they run as ("namespace/name").
	bySA map[string][]*Object
	// objects by label "key=value".
	byLabel map[string][]*Object

	memoMu sync.Mutex
	memo   map[any]*memoEntry
}

type memoEntry struct {
	once  sync.Once
	value any
}

// Memo returns the value build makes for key, building it once per
// inventory however many goroutines ask: analyses (the RBAC index, the
// network model) are derived once and shared by every check that reads them.
// Keys should be unexported types of the caller's package.
func (inv *Inventory) Memo(key any, build func() any) any {
	inv.memoMu.Lock()
	if inv.memo == nil {
		inv.memo = map[any]*memoEntry{}
	}
	e := inv.memo[key]
	if e == nil {
		e = &memoEntry{}
		inv.memo[key] = e
	}
	inv.memoMu.Unlock()
	e.once.Do(func() { e.value = build() })
	return e.value
}

// Builder accumulates objects and diagnostics from any number of sources.
type Builder struct {
	// DefaultNamespace is given to namespaced objects that have none, as
	// `kubectl apply -n` would. Empty leaves them without one.
	DefaultNamespace string
	objects          []*Object
	diags            []Diagnostic
}

// Add appends an object.
func (b *Builder) Add(o *Object) { b.objects = append(b.objects, o) }

// AddDiagnostic records an input problem.
func (b *Builder) AddDiagnostic(d Diagnostic) { b.diags = append(b.diags, d) }

// Build indexes everything added so far.
func (b *Builder) Build() *Inventory {
	inv := &Inventory{
		Objects:     b.objects,
		Diagnostics: b.diags,
		byKind:      map[schema.GroupKind][]*Object{},
		byKey:       map[Key][]*Object{},
		byNamespace: map[string][]*Object{},
		bySA:        map[string][]*Object{},
		byLabel:     map[string][]*Object{},
	}
	for _, o := range inv.Objects {
		if o.Ref.Namespace == "" && b.DefaultNamespace != "" && !IsClusterScoped(o.GK) {
			o.Ref.Namespace = b.DefaultNamespace
		}
		inv.byKind[o.GK] = append(inv.byKind[o.GK], o)
		k := Key{GK: o.GK, Namespace: o.Ref.Namespace, Name: o.Ref.Name}
		inv.byKey[k] = append(inv.byKey[k], o)
		inv.byNamespace[o.Ref.Namespace] = append(inv.byNamespace[o.Ref.Namespace], o)
		for lk, lv := range o.Labels() {
			inv.byLabel[lk+"="+lv] = append(inv.byLabel[lk+"="+lv], o)
		}
		if t, ok := o.PodTemplateOf(); ok {
			sa := ServiceAccountName(t.Spec)
			inv.bySA[o.Ref.Namespace+"/"+sa] = append(inv.bySA[o.Ref.Namespace+"/"+sa], o)
		}
	}
	return inv
}

// ServiceAccountName returns the ServiceAccount a pod spec runs as, honouring
// the deprecated serviceAccount field, and "default" when neither is set.
func ServiceAccountName(spec map[string]any) string {
	if s, _ := spec["serviceAccountName"].(string); s != "" {
		return s
	}
	if s, _ := spec["serviceAccount"].(string); s != "" {
		return s
	}
	return "default"
}

// ByKind returns the objects of one kind, in input order.
func (inv *Inventory) ByKind(gk schema.GroupKind) []*Object { return inv.byKind[gk] }

// Get returns the objects with this kind, namespace and name (several when
// the same object appears in more than one input file).
func (inv *Inventory) Get(gk schema.GroupKind, namespace, name string) []*Object {
	return inv.byKey[Key{GK: gk, Namespace: namespace, Name: name}]
}

// InNamespace returns the objects of a namespace ("" for cluster-scoped and
// namespace-less objects).
func (inv *Inventory) InNamespace(ns string) []*Object { return inv.byNamespace[ns] }

// Namespaces returns every namespace that holds objects or is declared by a
// Namespace object, sorted.
func (inv *Inventory) Namespaces() []string {
	seen := map[string]bool{}
	for ns := range inv.byNamespace {
		if ns != "" {
			seen[ns] = true
		}
	}
	for _, o := range inv.byKind[KindNamespace] {
		seen[o.Ref.Name] = true
	}
	out := make([]string, 0, len(seen))
	for ns := range seen {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

// WorkloadsUsingServiceAccount returns workload objects whose pods run as the
// given ServiceAccount.
func (inv *Inventory) WorkloadsUsingServiceAccount(namespace, name string) []*Object {
	return inv.bySA[namespace+"/"+name]
}

// WithLabel returns objects carrying label key=value.
func (inv *Inventory) WithLabel(key, value string) []*Object { return inv.byLabel[key+"="+value] }

// Kinds returns every kind present, sorted by group then kind.
func (inv *Inventory) Kinds() []schema.GroupKind {
	out := make([]schema.GroupKind, 0, len(inv.byKind))
	for gk := range inv.byKind {
		out = append(out, gk)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Group != out[j].Group {
			return out[i].Group < out[j].Group
		}
		return out[i].Kind < out[j].Kind
	})
	return out
}

// Errors returns the diagnostics that are not warnings.
func (inv *Inventory) Errors() []Diagnostic {
	var out []Diagnostic
	for _, d := range inv.Diagnostics {
		if !d.Warning {
			out = append(out, d)
		}
	}
	return out
}

// NewObject builds an Object from unstructured content, filling its reference
// and canonical kind. It returns an error naming what is missing when the
// content is not a Kubernetes object (no apiVersion, kind or name).
func NewObject(content map[string]any, origin Origin, src finding.Source) (*Object, error) {
	apiVersion, _ := content["apiVersion"].(string)
	kind, _ := content["kind"].(string)
	if apiVersion == "" || kind == "" {
		return nil, fmt.Errorf("not a Kubernetes object: apiVersion and kind are required")
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, fmt.Errorf("bad apiVersion: %w", err)
	}
	name, _ := StringAt(content, "metadata", "name")
	if name == "" {
		name, _ = StringAt(content, "metadata", "generateName")
	}
	ns, _ := StringAt(content, "metadata", "namespace")
	gk := CanonicalGroupKind(schema.GroupKind{Group: gv.Group, Kind: kind})
	if gk == KindSecret {
		redactSecret(content)
	}
	return &Object{
		Ref:     finding.ObjectRef{APIVersion: apiVersion, Kind: kind, Namespace: ns, Name: name},
		GK:      gk,
		Content: content,
		Origin:  origin,
		Source:  src,
	}, nil
}

// redactSecret drops Secret values as soon as they are read so that no check,
// renderer or error message can ever print one. Keys stay: checks may look
// at which keys a Secret has.
func redactSecret(content map[string]any) {
	for _, field := range []string{"data", "stringData"} {
		if m, ok := content[field].(map[string]any); ok {
			for k := range m {
				m[k] = ""
			}
		}
	}
	// kubectl apply keeps the whole object, values included, in this
	// annotation.
	if ann, ok := MapAt(content, "metadata", "annotations")[lastApplied].(string); ok && ann != "" {
		MapAt(content, "metadata", "annotations")[lastApplied] = ""
	}
}

const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"
