// Package etcdcheck reads what the API server stored in etcd and reports,
// per resource type, how many objects are encrypted under which provider
// and key and how many are plaintext. Enabling encryption at rest leaves
// every object written before in plaintext until it is rewritten; flags and
// EncryptionConfiguration files cannot show that, the stored data can.
//
// Values are read only to look at their first bytes: they are never kept,
// logged or returned.
package etcdcheck

import (
	"sort"
)

// PlaintextProvider is the ByProvider name for objects stored unencrypted
// (the identity provider, or no encryption configured).
const PlaintextProvider = "identity (plaintext)"

// UnknownProvider is the ByProvider name for values that are neither a
// known encryption envelope nor a Kubernetes object.
const UnknownProvider = "unknown"

// SecretsResource is the resource name of core/v1 Secrets in a Report.
const SecretsResource = "secrets"

// Report counts the stored objects per resource.
type Report struct {
	// Resources are sorted by resource name.
	Resources []ResourceCount `json:"resources"`
	// PlaintextSecrets is the number of Secrets stored unencrypted.
	PlaintextSecrets int `json:"plaintextSecrets"`
}

// ResourceCount counts the objects of one resource type.
type ResourceCount struct {
	// Resource is the plural resource name, with its group for resources
	// stored under a group prefix ("apiservices.apiregistration.k8s.io").
	Resource string `json:"resource"`
	Total    int    `json:"total"`
	// ByProvider counts objects per "provider:key" ("aescbc:key1",
	// "kms:v2:vault"), PlaintextProvider or UnknownProvider.
	ByProvider map[string]int `json:"byProvider"`
	// Plaintext is ByProvider[PlaintextProvider], for convenience.
	Plaintext int `json:"plaintext"`
}

// Resource returns the count for resource, or false.
func (r *Report) Resource(resource string) (ResourceCount, bool) {
	for _, rc := range r.Resources {
		if rc.Resource == resource {
			return rc, true
		}
	}
	return ResourceCount{}, false
}

// tally accumulates counts while keys are read.
type tally map[string]*ResourceCount

// add counts one stored value under key.
func (t tally) add(prefix, key string, value []byte) {
	t.addStorage(prefix, key, Classify(value))
}

// addStorage counts one classified value under key.
func (t tally) addStorage(prefix, key string, st Storage) {
	res := ResourceOf(prefix, key)
	rc := t[res]
	if rc == nil {
		rc = &ResourceCount{Resource: res, ByProvider: map[string]int{}}
		t[res] = rc
	}
	rc.Total++
	rc.ByProvider[st.Provider]++
	if st.Plaintext {
		rc.Plaintext++
	}
}

// report returns the sorted Report.
func (t tally) report() *Report {
	r := &Report{Resources: []ResourceCount{}}
	for _, rc := range t {
		r.Resources = append(r.Resources, *rc)
	}
	sort.Slice(r.Resources, func(i, j int) bool { return r.Resources[i].Resource < r.Resources[j].Resource })
	if rc, ok := t[SecretsResource]; ok {
		r.PlaintextSecrets = rc.Plaintext
	}
	return r
}
