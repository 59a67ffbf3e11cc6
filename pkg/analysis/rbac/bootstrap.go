package rbac

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// BootstrapVersion is the Kubernetes version whose default roles are
// embedded.
const BootstrapVersion = "v1.37"

// bootstrapJSON holds the Roles and ClusterRoles a kube-apiserver creates
// at start-up (label kubernetes.io/bootstrapping=rbac-defaults), as listed
// from a real API server by TestBootstrapRolesUpToDate.
//
//go:embed bootstrap/roles.json
var bootstrapJSON []byte

var (
	bootstrapOnce sync.Once
	bootstrap     []map[string]any
	bootstrapErr  error
)

// bootstrapSource marks the roles kharden adds from the API server's
// defaults, in findings and answers.
var bootstrapSource = finding.Source{File: "(kube-apiserver " + BootstrapVersion + " default roles)"}

// defaultRoles returns fresh objects for the API server's default roles
// that the inventory does not define. Manifests bind to view, edit, admin,
// cluster-admin and system: roles without shipping them; every cluster has
// them, so an analysis of files must know what they grant.
func defaultRoles(has func(namespace, name string) bool) ([]*inventory.Object, error) {
	bootstrapOnce.Do(func() {
		bootstrapErr = json.Unmarshal(bootstrapJSON, &bootstrap)
	})
	if bootstrapErr != nil {
		return nil, fmt.Errorf("embedded default roles: %w", bootstrapErr)
	}
	var out []*inventory.Object
	for _, content := range bootstrap {
		meta, _ := content["metadata"].(map[string]any)
		ns, _ := meta["namespace"].(string)
		name, _ := meta["name"].(string)
		if has(ns, name) {
			continue
		}
		// Each index gets its own copy: objects are read-only, but shared
		// maps across inventories would tie their lifetimes together.
		o, err := inventory.NewObject(deepCopy(content).(map[string]any), inventory.OriginBuiltIn, bootstrapSource)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = deepCopy(x)
		}
		return l
	}
	return v
}
