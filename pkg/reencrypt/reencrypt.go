// Package reencrypt rewrites Kubernetes objects through the API server so
// that it stores them again with the current write key of its
// EncryptionConfiguration. Turning encryption on, or rotating a key, leaves
// every object already in etcd as it was (plaintext, or under the old key)
// until something writes it; Run is that something.
//
// Each object is read in pages and PUT back as read, with its
// resourceVersion (a no-op update). The API server writes such an update
// only when it must: when the stored value is stale, i.e. it was read as
// plaintext or with a key that is not the first provider's. An object
// already stored under the write key is left alone (no new
// resourceVersion), so a second run changes nothing; Counts.Rewritten and
// Counts.Unchanged tell the two apart.
//
// Dry run (the default) sends the same updates with dryRun=All: the API
// server validates and admits each one as it would for real, so objects
// that would fail are reported, but nothing is written. A dry run cannot
// tell stale objects from current ones (the server decides that while
// writing), so it counts every accepted update as Rewritten.
//
// Object contents, and Secret values in particular, are never logged,
// reported or put into errors: results and errors name objects only.
package reencrypt

import (
	"context"
	"errors"
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// Defaults for Options fields left zero.
const (
	DefaultQPS             = 20
	DefaultChunkSize       = 200
	DefaultCheckpointEvery = 50
	// maxConflictRetries bounds the re-GET and retry after a 409 Conflict.
	maxConflictRetries = 5
)

// Options select what Run rewrites and how.
type Options struct {
	// Resources are resource names as kubectl takes them: "secrets",
	// "configmaps", "deployments.apps", or with a version
	// "deployments.v1.apps". They are resolved through discovery.
	Resources []string
	// Apply writes; without it every update is a dry run (dryRun=All).
	Apply bool
	// QPS limits the requests per second to the API server (default
	// DefaultQPS); the burst is the same number.
	QPS float32
	// ChunkSize is the page size of list requests (default DefaultChunkSize).
	ChunkSize int64
	// ResumeFile, when set, records the last object done per resource
	// (JSON, written atomically every CheckpointEvery objects and when the
	// run stops). A run given an existing file skips what it records as
	// done. It is removed when an applying run completes; a dry run reads
	// it but never writes it, so a dry run cannot make a later --apply run
	// skip objects.
	ResumeFile string
	// CheckpointEvery is how many objects pass between writes of the resume
	// file (default DefaultCheckpointEvery).
	CheckpointEvery int
	// Namespace restricts namespaced resources to one namespace; empty
	// means all namespaces. Cluster-scoped resources are refused with it.
	Namespace string
	// Progress, when set, is called after each object.
	Progress func(Progress)
}

// Progress is reported after each object.
type Progress struct {
	// Resource is the resource being rewritten ("secrets").
	Resource string
	// Key is the object just handled: "namespace/name" or "name".
	Key string
	// Counts are the resource's counts so far.
	Counts Counts
}

// Counts are per-resource outcomes.
type Counts struct {
	// Rewritten objects were stored again by the server (a new
	// resourceVersion); in a dry run, objects whose update was accepted.
	Rewritten int
	// Unchanged objects were accepted but not written: they were already
	// stored under the current write key (applying runs only).
	Unchanged int
	// Skipped objects were deleted while the run went on, or were done by
	// an earlier run (resume file).
	Skipped int
	// Conflicts counts 409 Conflict answers that were retried.
	Conflicts int
	// Failed objects could not be rewritten; Result.Failures names them.
	Failed int
}

// add adds o to c.
func (c *Counts) add(o Counts) {
	c.Rewritten += o.Rewritten
	c.Unchanged += o.Unchanged
	c.Skipped += o.Skipped
	c.Conflicts += o.Conflicts
	c.Failed += o.Failed
}

// ResourceCounts are the counts of one resource.
type ResourceCounts struct {
	Resource string
	GVR      schema.GroupVersionResource
	Counts   Counts
}

// Failure names an object that could not be rewritten and why (the API
// status reason and code, never the object's content).
type Failure struct {
	Resource string
	Key      string
	Reason   string
}

// Result is what a run did.
type Result struct {
	Apply       bool
	PerResource []ResourceCounts
	Failures    []Failure
}

// Total sums the counts of every resource.
func (r *Result) Total() Counts {
	var c Counts
	for _, p := range r.PerResource {
		c.add(p.Counts)
	}
	return c
}

// Run rewrites every object of o.Resources through the API server of cfg.
// It returns the result so far together with an error when the run stops
// early (a cancelled context, a list that fails, the resume file); objects
// that fail one by one are counted in Result and do not stop the run.
func Run(ctx context.Context, cfg *rest.Config, o Options) (*Result, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	cfg = rest.CopyConfig(cfg)
	cfg.QPS = o.QPS
	cfg.Burst = max(1, int(o.QPS))
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	targets, err := resolve(dc, o.Resources)
	if err != nil {
		return nil, err
	}
	for _, t := range targets {
		if !t.namespaced && o.Namespace != "" {
			return nil, fmt.Errorf("resource %s is cluster-scoped: a namespace does not apply", t.name)
		}
	}
	state, err := loadResume(o.ResumeFile, o.Namespace)
	if err != nil {
		return nil, err
	}
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	r := &runner{o: o, client: client, state: state, res: &Result{Apply: o.Apply}}
	for _, t := range targets {
		err := r.resource(ctx, t)
		if cerr := r.checkpoint(); err == nil {
			err = cerr
		}
		if err != nil {
			return r.res, err
		}
	}
	if o.Apply && o.ResumeFile != "" {
		if err := os.Remove(o.ResumeFile); err != nil && !errors.Is(err, os.ErrNotExist) {
			return r.res, fmt.Errorf("resume file: %w", err)
		}
	}
	return r.res, nil
}

// defaults fills zero fields and checks the others.
func (o *Options) defaults() error {
	switch {
	case o.QPS < 0:
		return fmt.Errorf("qps must not be negative")
	case o.ChunkSize < 0:
		return fmt.Errorf("chunk size must not be negative")
	case o.CheckpointEvery < 0:
		return fmt.Errorf("checkpoint interval must not be negative")
	}
	if o.QPS == 0 {
		o.QPS = DefaultQPS
	}
	if o.ChunkSize == 0 {
		o.ChunkSize = DefaultChunkSize
	}
	if o.CheckpointEvery == 0 {
		o.CheckpointEvery = DefaultCheckpointEvery
	}
	return nil
}
