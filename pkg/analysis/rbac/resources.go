package rbac

import (
	"fmt"
	"strings"

	"github.com/kharden/kharden/pkg/inventory"
)

// builtinResources maps the resources every API server serves to their API
// group (plural names, as RBAC rules and kubectl spell them).
var builtinResources = map[string]string{
	"pods": "", "services": "", "secrets": "", "configmaps": "", "serviceaccounts": "", "namespaces": "",
	"nodes": "", "persistentvolumes": "", "persistentvolumeclaims": "", "endpoints": "", "events": "",
	"limitranges": "", "resourcequotas": "", "replicationcontrollers": "", "podtemplates": "",
	"componentstatuses": "", "bindings": "",
	"deployments": "apps", "replicasets": "apps", "statefulsets": "apps", "daemonsets": "apps", "controllerrevisions": "apps",
	"jobs": "batch", "cronjobs": "batch",
	"roles": "rbac.authorization.k8s.io", "rolebindings": "rbac.authorization.k8s.io",
	"clusterroles": "rbac.authorization.k8s.io", "clusterrolebindings": "rbac.authorization.k8s.io",
	"networkpolicies": "networking.k8s.io", "ingresses": "networking.k8s.io", "ingressclasses": "networking.k8s.io",
	"poddisruptionbudgets": "policy", "horizontalpodautoscalers": "autoscaling",
	"mutatingwebhookconfigurations": "admissionregistration.k8s.io", "validatingwebhookconfigurations": "admissionregistration.k8s.io",
	"validatingadmissionpolicies": "admissionregistration.k8s.io", "validatingadmissionpolicybindings": "admissionregistration.k8s.io",
	"mutatingadmissionpolicies": "admissionregistration.k8s.io", "mutatingadmissionpolicybindings": "admissionregistration.k8s.io",
	"customresourcedefinitions": "apiextensions.k8s.io", "apiservices": "apiregistration.k8s.io",
	"certificatesigningrequests": "certificates.k8s.io", "signers": "certificates.k8s.io",
	"storageclasses": "storage.k8s.io", "csidrivers": "storage.k8s.io", "csinodes": "storage.k8s.io",
	"volumeattachments": "storage.k8s.io", "csistoragecapacities": "storage.k8s.io",
	"leases": "coordination.k8s.io", "endpointslices": "discovery.k8s.io", "priorityclasses": "scheduling.k8s.io",
	"runtimeclasses": "node.k8s.io", "flowschemas": "flowcontrol.apiserver.k8s.io",
	"prioritylevelconfigurations": "flowcontrol.apiserver.k8s.io",
	"tokenreviews":                "authentication.k8s.io", "selfsubjectreviews": "authentication.k8s.io",
	"subjectaccessreviews": "authorization.k8s.io", "selfsubjectaccessreviews": "authorization.k8s.io",
	"localsubjectaccessreviews": "authorization.k8s.io", "selfsubjectrulesreviews": "authorization.k8s.io",
	"resourceclaims": "resource.k8s.io", "resourceclaimtemplates": "resource.k8s.io", "deviceclasses": "resource.k8s.io",
	"resourceslices": "resource.k8s.io",
}

// shortNames are kubectl's short names of built-in resources.
var shortNames = map[string]string{
	"po": "pods", "svc": "services", "cm": "configmaps", "sa": "serviceaccounts", "ns": "namespaces",
	"no": "nodes", "pv": "persistentvolumes", "pvc": "persistentvolumeclaims", "ep": "endpoints", "ev": "events",
	"limits": "limitranges", "quota": "resourcequotas", "rc": "replicationcontrollers", "cs": "componentstatuses",
	"deploy": "deployments", "rs": "replicasets", "sts": "statefulsets", "ds": "daemonsets", "cj": "cronjobs",
	"netpol": "networkpolicies", "ing": "ingresses", "pdb": "poddisruptionbudgets", "hpa": "horizontalpodautoscalers",
	"crd": "customresourcedefinitions", "crds": "customresourcedefinitions", "csr": "certificatesigningrequests",
	"sc": "storageclasses", "pc": "priorityclasses",
}

// ResourceResolver finds the API group of a resource name (plural, short
// name or singular) as a cluster's discovery or an inventory knows it.
type ResourceResolver func(resource string) (plural, group string, ok bool)

// BuiltinResolver knows the resources every API server serves, and the
// custom resources whose CustomResourceDefinitions are in the inventory
// (inv may be nil).
func BuiltinResolver(inv *inventory.Inventory) ResourceResolver {
	crds := map[string]string{}
	if inv != nil {
		for _, o := range inv.ByKind(inventory.KindCustomResourceDefinition) {
			// A CRD is named PLURAL.GROUP.
			if plural, group, ok := strings.Cut(o.Ref.Name, "."); ok {
				crds[plural] = group
			}
		}
	}
	return func(resource string) (string, string, bool) {
		r := strings.ToLower(resource)
		if long, ok := shortNames[r]; ok {
			r = long
		}
		if g, ok := builtinResources[r]; ok {
			return r, g, true
		}
		if g, ok := crds[r]; ok {
			return r, g, true
		}
		if g, ok := builtinResources[r+"s"]; ok { // a singular name
			return r + "s", g, true
		}
		return "", "", false
	}
}

// ParseRequest reads `VERB RESOURCE[.GROUP][/SUBRESOURCE]` or `VERB /URL`
// as kubectl auth can-i does. An explicit group (the resource.group form, or
// group when non-empty) wins; otherwise resolve finds it. A resource it does
// not know is used as written, in the core group, with a warning.
func ParseRequest(verb, resource, group, namespace, name string, resolve ResourceResolver) (Request, string, error) {
	if verb == "" {
		return Request{}, "", fmt.Errorf("a verb is required (get, list, create, ...)")
	}
	if strings.HasPrefix(resource, "/") {
		if namespace != "" || name != "" {
			return Request{}, "", fmt.Errorf("a non-resource URL (%s) takes no namespace or name", resource)
		}
		return Request{Verb: verb, Path: resource}, "", nil
	}
	if resource == "" {
		return Request{}, "", fmt.Errorf("a resource is required (pods, deployments.apps, pods/exec, /healthz)")
	}
	req := Request{Verb: verb, Namespace: namespace, Name: name}
	res, sub, _ := strings.Cut(resource, "/")
	req.Subresource = sub
	if strings.Contains(sub, "/") {
		return Request{}, "", fmt.Errorf("resource %q: at most one subresource", resource)
	}
	if r, g, ok := strings.Cut(res, "."); ok && group == "" {
		res, group = r, g
	}
	req.Resource = res
	var warning string
	switch {
	case group != "":
		req.APIGroup = group
	case res == "*":
	default:
		if resolve != nil {
			if plural, g, ok := resolve(res); ok {
				req.Resource, req.APIGroup = plural, g
				break
			}
		}
		warning = fmt.Sprintf("resource %q is not known here: asked for it in the core API group as written", res)
	}
	return req, warning, nil
}
