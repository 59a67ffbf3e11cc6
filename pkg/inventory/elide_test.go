package inventory

import "testing"

func TestCRDSpecElided(t *testing.T) {
	doc := `# a CRD
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
  labels:
    team: platform
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  versions:
  - name: v1
    schema:
      openAPIV3Schema:
        type: object
# a comment at column 0 inside spec
        description: |
          text
status:
  acceptedNames: {kind: Widget}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec:
  size: 3
`
	objs, diags := ParseDocuments("crd.yaml", []byte(doc), OriginFile)
	if len(diags) > 0 || len(objs) != 2 {
		t.Fatalf("objects %d, diags %v", len(objs), diags)
	}
	crd, widget := objs[0], objs[1]
	if _, has := crd.Content["spec"]; has || len(crd.Elided) != 1 || crd.Elided[0] != "spec" {
		t.Errorf("CRD spec not elided: %v %v", crd.Content["spec"], crd.Elided)
	}
	if crd.Ref.Name != "widgets.example.com" || crd.Labels()["team"] != "platform" || crd.Content["status"] == nil {
		t.Errorf("CRD lost more than its spec: %+v", crd.Content)
	}
	// Lines after the blanked spec keep their numbers.
	if line, _, ok := crd.FieldPosition("status.acceptedNames"); !ok || line != 20 {
		t.Errorf("status.acceptedNames at line %d, want 20", line)
	}
	if widget.Elided != nil || widget.Content["spec"] == nil {
		t.Error("a custom resource's spec must be kept")
	}
}

func TestCRDSpecNotElidedWhenUnsure(t *testing.T) {
	for name, doc := range map[string]string{
		"flow spec":       "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: a}\nspec: {group: x}\n",
		"other group":     "apiVersion: example.com/v1\nkind: CustomResourceDefinition\nmetadata: {name: a}\nspec:\n  group: x\n",
		"kind in a value": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  k: CustomResourceDefinition apiextensions.k8s.io/v1\n",
	} {
		if out, ok := elideCRDSpec([]byte(doc)); ok || string(out) != doc {
			t.Errorf("%s: elided", name)
		}
	}
}
